package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
)

// Unsubscriber signs and checks unsubscribe links: HMAC-SHA256 under a key
// of the keys dir (keys/notify.key) over the citizen and the kind, so a
// link works without signing in and only for its citizen and kind.
type Unsubscriber struct{ key []byte }

// NewUnsubscriber uses key (32 bytes from keyring.Secret).
func NewUnsubscriber(key []byte) *Unsubscriber { return &Unsubscriber{key: key} }

func (u *Unsubscriber) mac(citizenID int64, kind string) []byte {
	m := hmac.New(sha256.New, u.key)
	m.Write([]byte("koinon unsubscribe v1\x00" + strconv.FormatInt(citizenID, 10) + "\x00" + kind))
	return m.Sum(nil)
}

// Query is the link's query string: c, k and t.
func (u *Unsubscriber) Query(citizenID int64, kind string) string {
	return "c=" + strconv.FormatInt(citizenID, 10) + "&k=" + url.QueryEscape(kind) +
		"&t=" + base64.RawURLEncoding.EncodeToString(u.mac(citizenID, kind))
}

// Check returns the citizen and kind of a link's query, or ok false when
// the token does not match.
func (u *Unsubscriber) Check(q url.Values) (citizenID int64, kind string, ok bool) {
	id, err := strconv.ParseInt(q.Get("c"), 10, 64)
	if err != nil {
		return 0, "", false
	}
	t, err := base64.RawURLEncoding.DecodeString(q.Get("t"))
	if err != nil {
		return 0, "", false
	}
	kind = q.Get("k")
	return id, kind, hmac.Equal(t, u.mac(id, kind))
}
