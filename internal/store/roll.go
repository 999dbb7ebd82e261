package store

import (
	"time"

	"koinon/internal/domain"
)

// RollMember is one membership period on a community's roll, with the
// citizen's handle and name. EndedAt is nil while it lasts.
type RollMember struct {
	MembershipID int64
	CitizenID    int64
	Handle       string
	DisplayName  string
	Invited      bool // the citizen has no password yet
	Role         string
	Weight       int64
	StartedAt    time.Time
	EndedAt      *time.Time
}

// Kinds of roll change.
const (
	RollCreate    = "create"    // new citizen, invited, added to the roll
	RollAdd       = "add"       // existing citizen added to the roll
	RollUpdate    = "update"    // role or weight changes
	RollUnchanged = "unchanged" // already on the roll as the file says
)

// RollChange is what applying one line of a roll file does.
type RollChange struct {
	Line        int    `json:"line"`
	Kind        string `json:"kind"`
	Handle      string `json:"handle"`
	Email       string `json:"email,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Role        string `json:"role"`
	Weight      int64  `json:"weight"`
	OldRole     string `json:"old_role,omitempty"`
	OldWeight   int64  `json:"old_weight,omitempty"`
	// Offered: the line asks for a board seat the citizen does not hold;
	// it is offered (ChangeRole), and the rest of the roll stays as is.
	Offered bool `json:"offered,omitempty"`
}

// RollPlan is the preview of a roll file: every line's change, and every
// bad line. A plan with errors is never applied.
type RollPlan struct {
	Changes   []RollChange       `json:"changes"`
	Errors    []domain.LineError `json:"errors"`
	Created   int                `json:"created"`
	Added     int                `json:"added"`
	Updated   int                `json:"updated"`
	Unchanged int                `json:"unchanged"`
	Offered   int                `json:"offered"` // board seats offered (also counted above)
}

// Invite is a fresh invitation: the token is known only now (the database
// keeps its hash).
type Invite struct {
	CitizenID int64  `json:"-"`
	Handle    string `json:"handle"`
	Email     string `json:"email"`
	Token     string `json:"token"`
}

// ErrRollInvalid: the roll file has bad lines (listed in the plan), so
// nothing was applied.
var ErrRollInvalid = domain.Refuse("file", "roll_file")
