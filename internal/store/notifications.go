package store

import (
	"encoding/json"
	"math"
	"strings"
	"time"
)

// Notification kinds (docs/notifications.md). Each can be switched off for
// mail per citizen; the in-app list always has them.
const (
	KindInvitation      = "invitation"
	KindBallotOpened    = "ballot_opened"
	KindClosingSoon     = "closing_soon"
	KindDelegateVoted   = "delegate_voted"
	KindDelegation      = "delegation" // someone starts or stops delegating to you
	KindDelegationLost  = "delegation_lost"
	KindResultSealed    = "result_sealed"
	KindKeyRegistered   = "key_registered"
	KindDecryptionShare = "decryption_share" // a secret ballot awaits a trustee's share
)

// NotificationKinds lists the kinds a citizen can switch, in page order.
var NotificationKinds = []string{KindInvitation, KindBallotOpened, KindClosingSoon, KindDelegateVoted,
	KindDelegation, KindDelegationLost, KindResultSealed, KindKeyRegistered, KindDecryptionShare}

// Notification is one entry of a citizen's in-app list. Message is the
// locale key of its text (a kind may have several), Params its arguments
// in order (JSON array), Link a path on this site.
type Notification struct {
	ID        int64
	CitizenID int64
	Kind      string
	Message   string
	EventKey  string
	Params    string
	Link      string
	CreatedAt time.Time
	VisibleAt time.Time
	ReadAt    *time.Time
}

// Args decodes Params; whole numbers come back as int64 (plural forms),
// others as float64. (json.Unmarshal: a quarter of the time and a third
// of the memory of a Decoder with UseNumber; every mail decodes one.)
func (n Notification) Args() []any {
	var raw []any
	if json.Unmarshal([]byte(n.Params), &raw) != nil {
		return nil
	}
	for i, v := range raw {
		if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			raw[i] = int64(f)
		}
	}
	return raw
}

// Note is a notification to enqueue for one or many citizens.
type Note struct {
	Kind    string
	Message string // locale key; "" means "notify." + Kind
	Key     string // the event: a citizen gets one notification per key
	Params  []any
	Link    string
	// Day dates the notification to the day and hides it until the next
	// midnight UTC (delegation notices, docs/security.md).
	Day bool
}

// NotificationPrefs is a citizen's mail language and the kinds not mailed.
type NotificationPrefs struct {
	CitizenID int64 `gorm:"primaryKey;autoIncrement:false"`
	Lang      string
	Muted     string
}

// MutedKinds lists the kinds switched off.
func (p NotificationPrefs) MutedKinds() []string {
	return strings.FieldsFunc(p.Muted, func(r rune) bool { return r == ',' })
}

// Mail is one outbox row ready to send, with what the mail needs.
type Mail struct {
	ID       int64 // outbox id: the Message-ID is built from it
	Attempts int
	Secret   string
	Notification
	Email       string
	DisplayName string
	Lang        string
}
