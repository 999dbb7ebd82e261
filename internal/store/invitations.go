package store

import (
	"time"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 30 * 24 * time.Hour
