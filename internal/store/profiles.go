package store

import (
	"time"
)

// DelegateProfile is what a citizen says as a delegate in a community.
type DelegateProfile struct {
	CommunityID int64 `gorm:"primaryKey;autoIncrement:false"`
	CitizenID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Statement   string
	UpdatedAt   time.Time
}

// ScopeWeight is the weight of the current members whose standing list
// for a scope names the delegate first.
type ScopeWeight struct {
	ScopeKey   string
	Delegators int64
	Weight     int64
}

// RecordEntry is a citizen's own vote on a closed public ballot.
type RecordEntry struct {
	BallotID int64
	Title    string
	Method   string
	ClosedAt *time.Time
	Choice   string
}

// DelegateSummary is a current member as the delegate search lists them.
type DelegateSummary struct {
	Handle      string
	DisplayName string
	Statement   string
}
