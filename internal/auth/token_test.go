package auth

import (
	"testing"
	"time"
)

func TestAccessAndRefreshTokensAreNotInterchangeable(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	tk := NewTokens([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })
	access, exp, err := tk.Issue(7, "ann", 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(AccessTTL); !exp.Equal(want) {
		t.Errorf("access expiry = %v, want %v", exp, want)
	}
	refresh, rexp, err := tk.IssueRefresh("s1", 2, 7, "ann", 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(RefreshTTL); !rexp.Equal(want) {
		t.Errorf("refresh expiry = %v, want %v", rexp, want)
	}
	if c, err := tk.Parse(access); err != nil || c.CitizenID() != 7 || c.Version != 3 || c.Handle != "ann" {
		t.Errorf("Parse(access) = %+v, %v", c, err)
	}
	if c, err := tk.ParseRefresh(refresh); err != nil || c.CitizenID() != 7 || c.Version != 3 || c.Session != "s1" || c.Generation != 2 {
		t.Errorf("ParseRefresh(refresh) = %+v, %v", c, err)
	}
	if _, err := tk.Parse(refresh); err != ErrBadToken {
		t.Errorf("Parse(refresh token) error = %v, want ErrBadToken", err)
	}
	if _, err := tk.ParseRefresh(access); err != ErrBadToken {
		t.Errorf("ParseRefresh(access token) error = %v, want ErrBadToken", err)
	}
	now = now.Add(AccessTTL + time.Minute)
	if _, err := tk.Parse(access); err != ErrBadToken {
		t.Errorf("expired access token accepted: %v", err)
	}
	if _, err := tk.ParseRefresh(refresh); err != nil {
		t.Errorf("refresh token rejected before its expiry: %v", err)
	}
	other := NewTokens([]byte("another key another key another k"), func() time.Time { return now })
	if _, err := other.ParseRefresh(refresh); err != ErrBadToken {
		t.Errorf("token from another key accepted: %v", err)
	}
}

func TestCheckPasswordWithEmptyHashNeverMatches(t *testing.T) {
	if CheckPassword("", "") || CheckPassword("", "anything at all") {
		t.Fatal("empty hash matched")
	}
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "wrong horse battery") {
		t.Fatal("CheckPassword does not tell right from wrong")
	}
}

// A validly signed token whose subject is not a citizen id is refused.
func TestTokenWithoutCitizenSubjectIsRefused(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	tk := NewTokens([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })
	for _, id := range []int64{0, -3} {
		tok, _, err := tk.Issue(id, "ann", 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tk.Parse(tok); err != ErrBadToken {
			t.Errorf("subject %d: Parse error = %v, want ErrBadToken", id, err)
		}
	}
	if _, err := citizenID("7x"); err == nil {
		t.Error(`citizenID("7x") succeeded`)
	}
}

// A session's CSRF token depends on the session and the key, and is never
// the anonymous token of any cookie value.
func TestCSRFTokensAreBoundToTheSession(t *testing.T) {
	tk := NewTokens([]byte("0123456789abcdef0123456789abcdef"), nil)
	other := NewTokens([]byte("another key another key another k"), nil)
	a, b := Claims{Session: "s1"}, Claims{Session: "s2"}
	if tk.SessionCSRF(a) == tk.SessionCSRF(b) || tk.SessionCSRF(a) != tk.SessionCSRF(a) || tk.SessionCSRF(a) == other.SessionCSRF(a) {
		t.Error("session CSRF tokens do not follow the session and key")
	}
	if tk.AnonymousCSRF("s1") == tk.SessionCSRF(a) || tk.AnonymousCSRF("x") == "x" {
		t.Error("anonymous token equals a session token or its cookie")
	}
}

// Parse keeps tokens it checked; a kept token still expires at its exp,
// exactly when an unkept one does, and a token that differs from a kept
// one in any byte is checked in full.
func TestCheckedTokensExpireAndStayExact(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tk := NewTokens([]byte("0123456789abcdef0123456789abcdef"), clock)
	access, exp, err := tk.Issue(7, "ann", 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Parse(access); err != nil {
		t.Fatal(err)
	}
	tampered := access[:len(access)-2] + string('A'+(access[len(access)-2]-'A'+1)%26) + access[len(access)-1:]
	if _, err := tk.Parse(tampered); err != ErrBadToken {
		t.Errorf("token with a changed signature accepted: %v", err)
	}
	fresh := NewTokens([]byte("0123456789abcdef0123456789abcdef"), clock)
	for _, at := range []time.Time{exp.Add(-time.Second), exp, exp.Add(time.Second)} {
		now = at
		_, kept := tk.Parse(access)
		_, unkept := fresh.Parse(access)
		fresh = NewTokens([]byte("0123456789abcdef0123456789abcdef"), clock)
		if kept != unkept {
			t.Errorf("at exp%+v: kept token gives %v, unkept %v", at.Sub(exp), kept, unkept)
		}
	}
}
