package web_test

import (
	"net/url"
	"strings"
	"testing"

	"koinon/internal/store/storetest"
)

// TestCloseBallotAsksFirst: the ballot page's close control is a link to
// a confirmation page, placed after the board member's own vote form; the
// page says what closing does, how many have voted and the time left,
// shows weights only on a public ballot, and only its confirmed form
// closes. The API close is unchanged.
func TestCloseBallotAsksFirst(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	public := bw.createOpen(t, map[string]any{"title": "Public close", "method": "majority"})
	pseudo := bw.createOpen(t, map[string]any{"title": "Pseudonymous close", "method": "majority", "secrecy": "pseudonymous"})
	for _, id := range []string{public, pseudo} {
		bw.expect(t, "ann", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "yes"}, 200, "")
		bw.expect(t, "bob", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "no"}, 200, "")
	}

	show := bw.mustPage(t, "board", "/ballots/"+public)
	closeAt, voteAt := strings.Index(show, `id="close-ballot"`), strings.Index(show, `id="vote-form"`)
	if closeAt < 0 || voteAt < 0 || closeAt < voteAt {
		t.Errorf("close control at %d, vote form at %d: want the close control after the vote form", closeAt, voteAt)
	}
	if strings.Contains(show, `action="/ballots/`+public+`/close"`) {
		t.Error("the ballot page still closes with one click")
	}

	page := bw.mustPage(t, "board", "/ballots/"+public+"/close", "cannot be undone", "Voting stops at once",
		"2 of 8 voters on the roll have voted directly", "Voted directly: weight 2", "left", `name="confirm" value="1"`)
	_ = page
	page = bw.mustPage(t, "board", "/ballots/"+pseudo+"/close", "2 of 8 voters on the roll have voted directly", "pseudonym", "stay secret")
	if strings.Contains(page, "Voted directly: weight") || strings.Contains(page, "delegated to a voter") {
		t.Error("the confirmation page shows weights of an open pseudonymous ballot")
	}
	if st, _, _ := bw.page(t, "ann", "GET", "/ballots/"+public+"/close", nil); st != 403 {
		t.Errorf("a member GETs the confirmation page: %d, want 403", st)
	}

	// A post without the confirmation goes to the confirmation page.
	st, _, hdr := bw.page(t, "board", "POST", "/ballots/"+public+"/close", url.Values{})
	if st != 303 || hdr.Get("Location") != "/ballots/"+public+"/close" {
		t.Fatalf("unconfirmed close = %d → %s, want 303 to the confirmation page", st, hdr.Get("Location"))
	}
	if _, m := bw.api(t, "", "GET", "/api/v1/ballots/"+public, nil); m["state"] != "open" {
		t.Fatalf("an unconfirmed close changed the state to %v", m["state"])
	}
	st, _, hdr = bw.page(t, "board", "POST", "/ballots/"+public+"/close", url.Values{"confirm": {"1"}})
	if st != 303 || hdr.Get("Location") != "/ballots/"+public {
		t.Fatalf("confirmed close = %d → %s", st, hdr.Get("Location"))
	}
	if _, m := bw.api(t, "", "GET", "/api/v1/ballots/"+public, nil); m["state"] != "closed" {
		t.Fatalf("confirmed close left state %v", m["state"])
	}
	if st, _, hdr := bw.page(t, "board", "GET", "/ballots/"+public+"/close", nil); st != 303 || hdr.Get("Location") != "/ballots/"+public {
		t.Errorf("confirmation page of a closed ballot = %d → %s, want the ballot", st, hdr.Get("Location"))
	}

	// The API closes in one call, as api.md says.
	if m := bw.expect(t, "board", "POST", "/api/v1/ballots/"+pseudo+"/close", nil, 200, ""); m["state"] != "closed" {
		t.Errorf("API close: state %v", m["state"])
	}
}
