package store

import (
	"time"
)

// Phases of a proposal.
const (
	PhaseDiscussion = "discussion" // text may change; suggestions open
	PhaseFrozen     = "frozen"     // text fixed, no ballot open yet
	PhaseVoting     = "voting"     // its ballot is open
	PhaseClosed     = "closed"     // its ballot is closed
)

// Post kinds.
const (
	PostFor     = "for"
	PostAgainst = "against"
	PostComment = "comment"
)

// Suggestion states.
const (
	SuggestionOpen     = "open"
	SuggestionAdopted  = "adopted"
	SuggestionRejected = "rejected"
)

// ProposalVersion is one text of a proposal; version 1 is the original.
type ProposalVersion struct {
	ProposalID int64 `gorm:"primaryKey;autoIncrement:false"`
	Version    int   `gorm:"primaryKey;autoIncrement:false"`
	Title      string
	Body       string
	Note       string
	CreatedAt  time.Time
}

// Post is an argument for or against a proposal, or a comment (ParentID:
// a reply). A hidden post keeps its row; pages show the reason instead.
type Post struct {
	ID           int64
	ProposalID   int64
	AuthorID     int64
	ParentID     *int64
	Kind         string
	Body         string
	CreatedAt    time.Time
	HiddenAt     *time.Time
	HiddenReason string
}

// PostView is a post with its author and support count.
type PostView struct {
	Post
	AuthorHandle string
	Supporters   int64
	Supported    bool // by the reader
}

// Suggestion is a change a member asks the author for.
type Suggestion struct {
	ID         int64
	ProposalID int64
	AuthorID   int64
	Body       string
	State      string
	CreatedAt  time.Time
	DecidedAt  *time.Time
}

// SuggestionView is a suggestion with its author's handle.
type SuggestionView struct {
	Suggestion
	AuthorHandle string
}

// ModerationEntry records that the board hid a post, and why.
type ModerationEntry struct {
	ID          int64
	CommunityID int64
	PostID      int64
	BoardID     int64
	Reason      string
	CreatedAt   time.Time
}

// TableName keeps the migration's table name.
func (ModerationEntry) TableName() string { return "moderation_log" }

// ModerationView is an entry with the board member's handle and the
// proposal the post was on.
type ModerationView struct {
	ModerationEntry
	BoardHandle   string
	ProposalID    int64
	ProposalTitle string
}

// Phase is the proposal's phase at now, given its ballot (nil: none).
func Phase(p Proposal, b *Ballot, now time.Time) string {
	switch {
	case b != nil && b.State == StateClosed:
		return PhaseClosed
	case b != nil && b.State == StateOpen:
		return PhaseVoting
	case b != nil, p.DiscussionEndsAt != nil && !now.Before(*p.DiscussionEndsAt):
		return PhaseFrozen
	}
	return PhaseDiscussion
}
