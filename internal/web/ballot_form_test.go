package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"koinon/internal/store/storetest"
)

// newBallotForm posts the new-ballot form as the board; kv are its fields.
func (bw *ballotWorld) newBallotForm(t *testing.T, kv ...string) (int, string, string) {
	t.Helper()
	form := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	st, body, hdr := bw.page(t, "board", "POST", "/communities/commons/ballots", form)
	return st, body, hdr.Get("Location")
}

// TestBallotFormShowsEveryError: the form names every refused field at
// once beside it, in the form's words (no "title: is required"), keeps
// every value typed, and ignores the fields the chosen method does not use.
func TestBallotFormShowsEveryError(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	st, body, _ := bw.newBallotForm(t, "title", "", "description", "Kept text", "method", "stv", "options", "Ada\nBea\nCai",
		"seats", "two", "stv_rule", "scottish", "threshold", "banana", "quorum", "1/4", "secrecy", "pseudonymous",
		"closes_at", "2001-02-03T04:05", "delegation", "")
	if st != 422 {
		t.Fatalf("status %d, want 422", st)
	}
	for _, want := range []string{
		`id="e-title"`, "Enter a title", `id="e-seats"`, "Enter the number of seats", `id="e-closes_at"`, "must be in the future",
		"correct the 3 fields marked below",
		// Every value as typed.
		">Kept text</textarea>", "Ada\nBea\nCai</textarea>", `value="two"`, `value="scottish" selected`, `value="banana"`,
		`value="1/4"`, `value="pseudonymous" selected`, `value="2001-02-03T04:05"`, `value="stv" selected`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	for _, bad := range []string{"title: is required", `id="e-threshold"`, `name="delegation" value="1" checked`} {
		if strings.Contains(body, bad) {
			t.Errorf("refused form shows %q", bad)
		}
	}

	// A threshold of "banana" does not block an STV ballot: STV has none.
	st, _, loc := bw.newBallotForm(t, "title", "Council", "method", "stv", "options", "Ada\nBea\nCai", "seats", "2",
		"stv_rule", "meek", "threshold", "banana", "quorum", "0/1", "secrecy", "public", "closes_at", "2099-01-01T10:00")
	if st != 303 {
		t.Fatalf("STV ballot with a stray threshold = %d, want 303", st)
	}
	m := bw.expect(t, "board", "GET", "/api/v1"+loc, nil, 200, "")
	if m["method"] != "stv" || m["seats"] != float64(2) || m["threshold"] != "1/2" || m["closes_at"] != "2099-01-01T10:00:00Z" {
		t.Errorf("created %v", m)
	}

	// Seats on a yes/no ballot are ignored, not refused.
	if st, body, _ := bw.newBallotForm(t, "title", "Budget", "method", "majority", "seats", "9", "options", "x\nx", "closes_at", "2099-01-01T10:00"); st != 303 {
		t.Errorf("yes/no ballot with stray seats and options = %d: %s", st, trim([]byte(body)))
	}

	// Options listed twice are named.
	st, body, _ = bw.newBallotForm(t, "title", "Tree", "method", "plurality", "options", "Oak\noak", "closes_at", "2099-01-01T10:00")
	if st != 422 || !strings.Contains(body, `id="e-options"`) || !strings.Contains(body, "is listed twice") {
		t.Errorf("duplicate options = %d", st)
	}
}

// TestBallotFormTimeZone: the closing time is read in the zone the page
// names: the browser's (tz, filled by script) or else UTC.
func TestBallotFormTimeZone(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	for _, tc := range []struct{ tz, want string }{
		{"", "2099-07-01T10:00:00Z"},
		{"Europe/Berlin", "2099-07-01T08:00:00Z"},
		{"America/New_York", "2099-07-01T14:00:00Z"},
	} {
		st, body, loc := bw.newBallotForm(t, "title", "Zone "+tc.tz, "method", "majority", "closes_at", "2099-07-01T10:00", "tz", tc.tz)
		if st != 303 {
			t.Fatalf("tz %q: %d %s", tc.tz, st, trim([]byte(body)))
		}
		if m := bw.expect(t, "board", "GET", "/api/v1"+loc, nil, 200, ""); m["closes_at"] != tc.want {
			t.Errorf("10:00 in %q closes at %v, want %s", tc.tz, m["closes_at"], tc.want)
		}
	}
	st, body, _ := bw.newBallotForm(t, "title", "Nowhere", "method", "majority", "closes_at", "2099-07-01T10:00", "tz", "Mars/Olympus")
	if st != 422 || !strings.Contains(body, `id="e-closes_at"`) || !strings.Contains(body, `"Mars/Olympus"`) || !strings.Contains(body, "your time zone, Mars/Olympus") {
		t.Errorf("unknown zone = %d", st)
	}
	if _, body, _ := bw.page(t, "board", "GET", "/communities/commons/ballots/new", nil); !strings.Contains(body, "in UTC") || !strings.Contains(body, `type="datetime-local"`) {
		t.Error("the new-ballot page does not say its times are UTC")
	}
}

// TestBallotFormProposals: ticked proposals make a yes/no ballot (one) or
// a Schulze ballot (several) when that is the chosen method; a mismatch
// is named beside the proposals, and other methods ignore them.
func TestBallotFormProposals(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	var ids []string
	for _, title := range []string{"Move to a new forge", "Stay on the old forge", "Plant trees"} {
		m := bw.expect(t, "ann", "POST", "/api/v1/communities/commons/proposals", map[string]any{"title": title, "body": "Why."}, 201, "")
		ids = append(ids, fmt.Sprint(int64(m["id"].(float64))))
	}
	at := "2099-01-01T10:00"
	for _, tc := range []struct {
		name, method string
		proposals    []string
		status       int
		want         string // in the refused page, or the created ballot's method
	}{
		{"yes/no on two", "majority", ids[:2], 422, "A yes/no ballot decides one proposal"},
		{"schulze on one", "schulze", ids[:1], 422, "needs two or more"},
		{"plurality ignores them", "plurality", ids[:2], 303, "plurality"},
		{"schulze on two", "schulze", ids[:2], 303, "schulze"},
		{"yes/no on one", "majority", ids[2:], 303, "majority"},
	} {
		kv := []string{"title", "", "method", tc.method, "options", "Ada\nBea", "closes_at", at}
		if tc.method != "majority" {
			kv[1] = "Which forge?" // a yes/no ballot is titled after its proposal
		}
		for _, id := range tc.proposals {
			kv = append(kv, "proposal", id)
		}
		st, body, loc := bw.newBallotForm(t, kv...)
		if st != tc.status {
			t.Errorf("%s: %d, want %d: %s", tc.name, st, tc.status, trim([]byte(body)))
			continue
		}
		if st == 422 {
			if !strings.Contains(body, `id="e-proposals"`) || !strings.Contains(body, tc.want) {
				t.Errorf("%s: refused without %q beside the proposals", tc.name, tc.want)
			}
			continue
		}
		if m := bw.expect(t, "board", "GET", "/api/v1"+loc, nil, 200, ""); m["method"] != tc.want {
			t.Errorf("%s: created %v", tc.name, m)
		}
	}
}
