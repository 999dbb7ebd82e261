package web

import (
	"time"

	"koinon/internal/store"
)

// ballotClosing is when a ballot closes or closed, as every page shows it:
// a closed ballot shows the time it actually closed (the proof's issued_at;
// also its ballot.closes_at when it closed early), and its planned closing
// time only as "planned" when the board closed it before then.
type ballotClosing struct {
	Closed  bool
	At      time.Time // planned closing (open, draft) or actual closing (closed)
	Planned time.Time // the planned closing time
	Early   bool      // closed before the planned time
}

// closingOf reads a ballot's closing times.
func closingOf(b store.Ballot) ballotClosing {
	c := ballotClosing{At: b.ClosesAt.UTC(), Planned: b.ClosesAt.UTC()}
	if b.State == store.StateClosed && b.ClosedAt != nil {
		c.Closed, c.At = true, b.ClosedAt.UTC()
		c.Early = c.At.Before(c.Planned)
	}
	return c
}
