package store

import "time"

// Citizen is a person with an account. Sensitive fields never leave the
// server: web handlers copy what they expose into their own view types.
type Citizen struct {
	ID           int64
	Handle       string
	Email        string
	DisplayName  string
	Statement    string
	PasswordHash string
	TokenVersion int64
	FailedLogins int
	LockedUntil  *time.Time
	CreatedAt    time.Time
}

// Community is a foundation or commons project.
type Community struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Public      bool
	CreatedAt   time.Time
}

// Membership is one period of a citizen on a community's roll; EndedAt is
// nil while it lasts, so the roll's history is kept.
type Membership struct {
	ID          int64
	CommunityID int64
	CitizenID   int64
	Role        string
	Weight      int64
	StartedAt   time.Time
	EndedAt     *time.Time
}

// Invitation lets a citizen created from a roll import set a password.
type Invitation struct {
	ID          int64
	CitizenID   int64
	CommunityID int64
	TokenHash   string
	CreatedAt   time.Time
	UsedAt      *time.Time
}

// Topic is an area of a community; delegations and ballots may name one.
type Topic struct {
	ID          int64
	CommunityID int64
	Slug        string
	Name        string
	CreatedAt   time.Time
}

// Ballot is a decision or election. ResultJSON and ProofJSON are set when
// it is closed and sealed.
type Ballot struct {
	ID          int64
	CommunityID int64
	TopicID     *int64
	ProposalID  *int64
	Title       string
	Description string
	Method      string
	Seats       int
	STVRule     string `gorm:"column:stv_rule"`
	Threshold   string
	Strict      bool
	Quorum      string
	Delegation  bool
	Secrecy     string
	// Budget ballots only (budget.md): amounts in whole currency units.
	Budget            int64
	Currency          string
	BudgetRule        string
	Completion        string
	ExhaustiveStop    bool
	CompareWithGreedy bool
	State             string
	Secret            string
	TrusteeThreshold  int // secret ballots: shares needed to decrypt
	// TrusteeIDs are a secret ballot's trustees in order, written by
	// CreateBallot (table ballot_trustees).
	TrusteeIDs []int64 `gorm:"-"`
	CreatedBy  int64
	CreatedAt  time.Time
	OpensAt    *time.Time
	ClosesAt   time.Time
	ClosedAt   *time.Time
	// ResultJSON and ProofJSON live in ballot_documents and
	// ballot_proof_chunks; they are set only by CloseBallot (ProofJSON
	// when the proof is small, see sqlstore.keptProof) and
	// BallotWithDocuments.
	ResultJSON *string `gorm:"-"`
	ProofJSON  *string `gorm:"-"`
	ProofHash  string
	LogHead    string
}

// BallotDocument holds a sealed ballot's result document; its proof is
// in the table ballot_proof_chunks.
type BallotDocument struct {
	BallotID   int64 `gorm:"primaryKey;autoIncrement:false"`
	ResultJSON string
}

// BallotOption is one option of a ballot, in ballot order.
type BallotOption struct {
	BallotID int64 `gorm:"primaryKey;autoIncrement:false"`
	Position int   `gorm:"primaryKey;autoIncrement:false"`
	Key      string
	Label    string
	// Cost and Description are set for the projects of a budget ballot.
	Cost        int64
	Description string
}

// BallotRoll is the voter roll frozen when the ballot opened.
type BallotRoll struct {
	BallotID  int64 `gorm:"primaryKey;autoIncrement:false"`
	CitizenID int64 `gorm:"primaryKey;autoIncrement:false"`
	Weight    int64
}

// TableName keeps the singular table name of the migration.
func (BallotRoll) TableName() string { return "ballot_roll" }

// Vote is a citizen's current choice on an open ballot (JSON text).
type Vote struct {
	BallotID  int64 `gorm:"primaryKey;autoIncrement:false"`
	CitizenID int64 `gorm:"primaryKey;autoIncrement:false"`
	Choice    string
	Receipt   string
	// ReceiptNonce is the secret of the cast receipt (proof.CastReceipt),
	// kept so that the voter can fetch it again; never published.
	ReceiptNonce string
	CastAt       time.Time
}

// BallotEvent is one entry of a ballot's hash-chained event log.
type BallotEvent struct {
	BallotID int64 `gorm:"primaryKey;autoIncrement:false"`
	Seq      int64 `gorm:"primaryKey;autoIncrement:false"`
	Kind     string
	Payload  string
	At       time.Time
	PrevHash string
	Hash     string
}

// Delegation is a citizen's ranked delegate list for one scope: the
// community (ScopeKey "c"), a topic ("t:ID") or a ballot ("b:ID").
type Delegation struct {
	ID          int64
	CitizenID   int64
	CommunityID int64
	TopicID     *int64
	BallotID    *int64
	ScopeKey    string
	UpdatedAt   time.Time
}

// DelegationDelegate is one entry of a delegation list, by priority.
type DelegationDelegate struct {
	DelegationID int64 `gorm:"primaryKey;autoIncrement:false"`
	Position     int   `gorm:"primaryKey;autoIncrement:false"`
	DelegateID   int64
}

// DelegationEvent records a delegate gaining or losing a delegator.
type DelegationEvent struct {
	ID          int64
	CommunityID int64
	CitizenID   int64
	DelegateID  int64
	ScopeKey    string
	Kind        string
	At          time.Time
}

// Proposal is a member's Markdown proposal in a topic.
type Proposal struct {
	ID          int64
	CommunityID int64
	TopicID     *int64
	AuthorID    int64
	Title       string
	Body        string
	Cost        int64 // what it asks from a budget ballot; 0: none
	BallotID    *int64
	CreatedAt   time.Time
	// DiscussionEndsAt ends the discussion phase (nil: open-ended); see
	// deliberation.go.
	DiscussionEndsAt *time.Time
}

// Support is one member's support of a proposal.
type Support struct {
	ProposalID int64 `gorm:"primaryKey;autoIncrement:false"`
	CitizenID  int64 `gorm:"primaryKey;autoIncrement:false"`
	CreatedAt  time.Time
}
