package store

import (
	"time"
)

// CitizenMembership is one of a citizen's current memberships, with the
// community's slug and name.
type CitizenMembership struct {
	CommunityID int64
	Slug        string
	Name        string
	Role        string
	Weight      int64
	StartedAt   time.Time
}

// CommunitySummary is a community with its counts, for lists.
type CommunitySummary struct {
	Community
	Members     int64
	OpenBallots int64
}
