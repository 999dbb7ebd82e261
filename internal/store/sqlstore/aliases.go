package sqlstore

import "koinon/internal/store"

// The records, constants, errors and helpers of package store, under
// their own names, so that the queries read as they did before the split
// (docs/adr/0007-store-split.md).

type Ballot = store.Ballot
type BallotDocument = store.BallotDocument
type BallotEvent = store.BallotEvent
type BallotFilter = store.BallotFilter
type BallotOption = store.BallotOption
type BallotRoll = store.BallotRoll
type BaselineRow = store.BaselineRow
type BoardOffer = store.BoardOffer
type CastRequest = store.CastRequest
type Citizen = store.Citizen
type CitizenIdentity = store.CitizenIdentity
type CitizenKey = store.CitizenKey
type CitizenMembership = store.CitizenMembership
type CloseLog = store.CloseLog
type CloseOutput = store.CloseOutput
type Community = store.Community
type CommunityLog = store.CommunityLog
type CommunitySummary = store.CommunitySummary
type DelegateProfile = store.DelegateProfile
type DelegateStatus = store.DelegateStatus
type DelegateSummary = store.DelegateSummary
type Delegation = store.Delegation
type DelegationDelegate = store.DelegationDelegate
type DelegationEvent = store.DelegationEvent
type DelegationList = store.DelegationList
type DelegationNotice = store.DelegationNotice
type Delegator = store.Delegator
type ElectorateRow = store.ElectorateRow

var ErrAmbiguousEmail = store.ErrAmbiguousEmail
var ErrConflict = store.ErrConflict
var ErrNoDataKey = store.ErrNoDataKey
var ErrNotFound = store.ErrNotFound
var ErrRefreshReused = store.ErrRefreshReused
var ErrRollInvalid = store.ErrRollInvalid

const EventClosed = store.EventClosed
const EventDelegationChanged = store.EventDelegationChanged

var EventHash = store.EventHash

const EventOpened = store.EventOpened
const EventSealed = store.EventSealed
const EventVoteCast = store.EventVoteCast
const EventVoteReplaced = store.EventVoteReplaced
const EventVoteWithdrawn = store.EventVoteWithdrawn

type ExternalSignIn = store.ExternalSignIn
type FinalVote = store.FinalVote

const GenesisHash = store.GenesisHash

type GoneDelegate = store.GoneDelegate
type HomeBallot = store.HomeBallot
type Invitation = store.Invitation

const InvitationTTL = store.InvitationTTL

type Invite = store.Invite

const KindBallotOpened = store.KindBallotOpened
const KindClosingSoon = store.KindClosingSoon
const KindDelegateVoted = store.KindDelegateVoted
const KindDelegation = store.KindDelegation
const KindDelegationLost = store.KindDelegationLost
const KindInvitation = store.KindInvitation
const KindKeyRegistered = store.KindKeyRegistered
const KindResultSealed = store.KindResultSealed

type LiveInput = store.LiveInput
type LogConfig = store.LogConfig
type LogInfo = store.LogInfo
type LoggedStatement = store.LoggedStatement
type Mail = store.Mail
type Membership = store.Membership
type ModerationEntry = store.ModerationEntry
type ModerationView = store.ModerationView

var NewSecret = store.NewSecret

type Note = store.Note
type Notification = store.Notification

var NotificationKinds = store.NotificationKinds

type NotificationPrefs = store.NotificationPrefs
type OfferedSeat = store.OfferedSeat
type Participation = store.Participation

var Phase = store.Phase

const PhaseDiscussion = store.PhaseDiscussion

type Post = store.Post
type PostView = store.PostView
type Proposal = store.Proposal
type ProposalSummary = store.ProposalSummary
type ProposalVersion = store.ProposalVersion

var Pseudonym = store.Pseudonym

type Receipt = store.Receipt
type RecordEntry = store.RecordEntry

var RefuseStatement = store.RefuseStatement

type Reminder = store.Reminder
type ReminderInput = store.ReminderInput

const ReminderWindow = store.ReminderWindow

type RoleChange = store.RoleChange

const RollAdd = store.RollAdd

type RollChange = store.RollChange

const RollCreate = store.RollCreate

type RollEntry = store.RollEntry
type RollMember = store.RollMember
type RollPlan = store.RollPlan

const RollUnchanged = store.RollUnchanged
const RollUpdate = store.RollUpdate

type Scope = store.Scope

var ScopeKind = store.ScopeKind

type ScopeWeight = store.ScopeWeight
type Session = store.Session

const StateClosed = store.StateClosed
const StateDraft = store.StateDraft
const StateOpen = store.StateOpen

type Suggestion = store.Suggestion

const SuggestionOpen = store.SuggestionOpen

type SuggestionView = store.SuggestionView
type Support = store.Support
type Topic = store.Topic
type Vote = store.Vote
type Submission = store.Submission
type DelegationPage = store.DelegationPage
type CloseInput = store.CloseInput

var SubmissionFrom = store.SubmissionFrom
var WithSubmission = store.WithSubmission

type CloseFunc = store.CloseFunc
