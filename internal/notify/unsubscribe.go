package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"net/url"
	"strconv"
	"sync"
)

// Unsubscriber signs and checks unsubscribe links: HMAC-SHA256 under a key
// of the keys dir (keys/notify.key) over the citizen and the kind, so a
// link works without signing in and only for its citizen and kind.
type Unsubscriber struct {
	key     []byte
	signers sync.Pool // of *signer: every mail carries a link
}

// signer is an HMAC under the key and space for what it signs.
type signer struct {
	mac hash.Hash
	buf []byte
}

// NewUnsubscriber uses key (32 bytes from keyring.Secret).
func NewUnsubscriber(key []byte) *Unsubscriber { return &Unsubscriber{key: key} }

// appendToken appends the link's token for a citizen and kind to dst:
// the HMAC, base64url-encoded.
func (u *Unsubscriber) appendToken(dst []byte, citizenID int64, kind string) []byte {
	s, _ := u.signers.Get().(*signer)
	if s == nil {
		s = &signer{mac: hmac.New(sha256.New, u.key)}
	}
	s.mac.Reset()
	s.buf = append(strconv.AppendInt(append(s.buf[:0], "koinon unsubscribe v1\x00"...), citizenID, 10), 0)
	s.buf = append(s.buf, kind...)
	s.mac.Write(s.buf)
	s.buf = s.mac.Sum(s.buf[:0])
	dst = base64.RawURLEncoding.AppendEncode(dst, s.buf)
	u.signers.Put(s)
	return dst
}

// appendQuery appends the link's query string to dst: c, k and t.
func (u *Unsubscriber) appendQuery(dst []byte, citizenID int64, kind string) []byte {
	dst = append(strconv.AppendInt(append(dst, "c="...), citizenID, 10), "&k="...)
	dst = append(append(dst, url.QueryEscape(kind)...), "&t="...)
	return u.appendToken(dst, citizenID, kind)
}

// Check returns the citizen and kind of a link's query, or ok false when
// the token does not match.
func (u *Unsubscriber) Check(q url.Values) (citizenID int64, kind string, ok bool) {
	id, err := strconv.ParseInt(q.Get("c"), 10, 64)
	if err != nil {
		return 0, "", false
	}
	kind = q.Get("k")
	return id, kind, hmac.Equal([]byte(q.Get("t")), u.appendToken(nil, id, kind))
}
