package store

import (
	"time"
)

// BoardOffer is a board seat offered to a citizen, with the weight the
// board chose; it becomes a board membership only when the citizen
// accepts (docs/security.md).
type BoardOffer struct {
	CommunityID int64 `gorm:"primaryKey;autoIncrement:false"`
	CitizenID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Weight      int64
	CreatedAt   time.Time
}

// RoleChange is what ChangeRole did: set a membership (Changed when it
// differs from before) or offer a board seat (Offered).
type RoleChange struct {
	Membership Membership
	Changed    bool
	Offered    bool
}

// OfferedSeat is a pending board offer with the community and citizen
// named, for the roll and the citizen's own pages.
type OfferedSeat struct {
	CommunityID int64
	Slug        string
	Name        string
	CitizenID   int64
	Handle      string
	DisplayName string
	Weight      int64
	CreatedAt   time.Time
}
