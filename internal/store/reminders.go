package store

import (
	"time"
)

// ReminderWindow is how long before its close a ballot's reminder goes
// out. A ballot opened for less than that gets none: its opening notice
// says when it closes.
const ReminderWindow = 24 * time.Hour

// ReminderInput is what deciding a ballot's reminders needs: the roll,
// each citizen's effective list and who voted.
type ReminderInput struct {
	Roll   []BallotRoll
	Lists  map[int64][]int64
	Voted  map[int64]bool
	Handle map[int64]string // the first delegates, for the text
}

// Reminder is one group of citizens to remind with one text: Delegate is
// the first delegate who has not voted ("" when the citizen has no list
// or their chain is lost further on).
type Reminder struct {
	Message  string // "notify.closing_soon_novote", "_delegate" or "_lost"
	Delegate string
	Citizens []int64
}
