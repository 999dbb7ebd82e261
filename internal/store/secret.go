package store

import (
	"time"

	"koinon/internal/domain"
)

// StateTallying is a closed secret ballot waiting for decryption shares.
const StateTallying = domain.StateTallying

// KindDecryptionShare's notification is enqueued for each trustee when a
// secret ballot enters tallying (NotifyTrustees).

// Trustee is one of a secret ballot's trustees, numbered from 1.
type Trustee struct {
	BallotID  int64 `gorm:"primaryKey;autoIncrement:false"`
	Position  int   `gorm:"primaryKey;autoIncrement:false"`
	CitizenID int64
	Handle    string `gorm:"-"`
}

// TableName keeps the migration's table name.
func (Trustee) TableName() string { return "ballot_trustees" }

// TrusteeStep is one step a trustee took (secret.Steps): the content of
// its signed statement, and the statement (envelope JSON) itself.
type TrusteeStep struct {
	BallotID  int64  `gorm:"primaryKey;autoIncrement:false"`
	Position  int    `gorm:"primaryKey;autoIncrement:false"`
	Step      string `gorm:"primaryKey"`
	Content   string
	Statement string
	CreatedAt time.Time
}

// TableName keeps the migration's table name.
func (TrusteeStep) TableName() string { return "trustee_steps" }

// SecretTally is a secret ballot's public cryptographic state: the key
// generation (JSON) and joint key (hex) once complete, then at the close
// the frozen count input (electorate and cast ballots with their weights,
// JSON) and the aggregate (JSON).
type SecretTally struct {
	BallotID      int64 `gorm:"primaryKey;autoIncrement:false"`
	KeyGeneration string
	JointKey      string
	CastJSON      string `gorm:"column:cast_json"`
	Aggregate     string
}

// TableName keeps the migration's table name.
func (SecretTally) TableName() string { return "secret_tallies" }

// SecretState is what the trustee and vote handlers need of a secret
// ballot: the ballot, its trustees in order, their steps and the tally.
type SecretState struct {
	Ballot   Ballot
	Trustees []Trustee
	Steps    []TrusteeStep // by position, then step
	Tally    SecretTally
	// VoteStatements are the voters' secret_vote envelopes in log order,
	// read while the ballot is tallying (for its proof).
	VoteStatements []string
}

// TrusteeOf returns the position of citizenID among the trustees, 0 when
// they are none.
func (st SecretState) TrusteeOf(citizenID int64) int {
	for _, t := range st.Trustees {
		if t.CitizenID == citizenID {
			return t.Position
		}
	}
	return 0
}

// TrusteeWrite is what a trustee step writes: the step's row, the key
// generation when the step completes it, and the sealed outcome when the
// step reaches the decryption threshold.
type TrusteeWrite struct {
	Step          TrusteeStep
	KeyGeneration string
	JointKey      string
	Sealed        *CloseOutput
}

// SecretCast is a secret vote to record: the encrypted ballot (JSON), the
// first point of each ciphertext (hex, for the replay check) and the
// receipt (the hash of the ballot).
type SecretCast struct {
	BallotID, CitizenID int64
	Ballot              string
	Points              []string
	Receipt             string
	// Content is the statement content the vote's log entry carries.
	Content any
}
