package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// Adding someone to the board only offers the seat: the roll shows it as
// offered and the citizen has no board rights until they accept (API or
// profile page); declining, or the board withdrawing it, leaves the roll
// as it was. Members and auditors are added at once, as api.md says.
func TestBoardSeatNeedsAcceptance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		ts := newServer(t, st)
		u := ts.URL
		tok := map[string]string{}
		for _, h := range []string{"ann", "bob", "cyd", "dee", "eve", "fay"} {
			tok[h] = register(t, u, h)
		}
		if s, m, _ := call(t, u, "POST", "/api/v1/communities", tok["ann"], map[string]any{"slug": "club", "name": "The Club", "public": false}); s != 201 {
			t.Fatalf("create = %d %v", s, m)
		}
		members := "/api/v1/communities/club/members"
		set := func(handle, role string) (int, map[string]any) {
			s, m, _ := call(t, u, "POST", members, tok["ann"], map[string]any{"handle": handle, "role": role, "weight": 2})
			return s, m
		}
		if s, m := set("bob", "member"); s != 200 || m["member"].(map[string]any)["role"] != "member" {
			t.Fatalf("add member = %d %v", s, m)
		}
		if s, m := set("cyd", "auditor"); s != 200 || m["member"].(map[string]any)["role"] != "auditor" {
			t.Fatalf("add auditor = %d %v", s, m)
		}
		for _, h := range []string{"bob", "dee", "fay"} {
			if s, m := set(h, "board"); s != http.StatusAccepted || m["member"].(map[string]any)["role"] != "offered" || m["offered"] != true {
				t.Fatalf("offer board to %s = %d %v, want 202 offered", h, s, m)
			}
		}
		if s, m := set("dee", "board"); s != http.StatusAccepted || m["changed"] != false {
			t.Errorf("the same offer again = %d %v, want 202 unchanged", s, m)
		}
		roll := func() (string, string) {
			t.Helper()
			s, m, _ := call(t, u, "GET", members, tok["ann"], nil)
			if s != 200 {
				t.Fatalf("roll = %d %v", s, m)
			}
			var ms, os []string
			for _, x := range m["members"].([]any) {
				e := x.(map[string]any)
				ms = append(ms, e["handle"].(string)+":"+e["role"].(string))
			}
			for _, x := range m["offers"].([]any) {
				e := x.(map[string]any)
				os = append(os, e["handle"].(string)+":"+e["role"].(string))
			}
			return strings.Join(ms, " "), strings.Join(os, " ")
		}
		if ms, os := roll(); ms != "ann:board bob:member cyd:auditor" || os != "bob:offered dee:offered fay:offered" {
			t.Errorf("roll %q, offers %q", ms, os)
		}
		topic := func(who, slug string) int {
			s, _, _ := call(t, u, "POST", "/api/v1/communities/club/topics", tok[who], map[string]any{"slug": slug, "name": slug})
			return s
		}
		if s := topic("bob", "by-bob"); s != http.StatusForbidden {
			t.Errorf("offered member acts as board: %d, want 403", s)
		}
		if s := topic("dee", "by-dee"); s != http.StatusNotFound {
			t.Errorf("offered non-member sees the private community: %d, want 404", s)
		}

		// dee sees the offer and accepts it; bob declines; the board
		// withdraws fay's.
		_, me, _ := call(t, u, "GET", "/api/v1/me", tok["dee"], nil)
		if offers := me["board_offers"].([]any); len(offers) != 1 || offers[0].(map[string]any)["community"] != "club" {
			t.Errorf("dee's offers: %v", me["board_offers"])
		}
		if s, m, _ := call(t, u, "POST", "/api/v1/me/board-offers/club/accept", tok["dee"], nil); s != 200 || m["member"].(map[string]any)["role"] != "board" {
			t.Fatalf("accept = %d %v", s, m)
		}
		if s := topic("dee", "by-dee"); s != http.StatusCreated {
			t.Errorf("dee as board creates a topic: %d, want 201", s)
		}
		if s, _, _ := call(t, u, "POST", "/api/v1/me/board-offers/club/decline", tok["bob"], nil); s != http.StatusNoContent {
			t.Errorf("decline = %d", s)
		}
		if s, _, _ := call(t, u, "POST", "/api/v1/me/board-offers/club/accept", tok["bob"], nil); s != http.StatusNotFound {
			t.Errorf("accept after declining = %d, want 404", s)
		}
		if s, _, _ := call(t, u, "DELETE", members+"/fay", tok["ann"], nil); s != http.StatusNoContent {
			t.Errorf("withdraw fay's offer = %d", s)
		}
		if ms, os := roll(); ms != "ann:board bob:member cyd:auditor dee:board" || os != "" {
			t.Errorf("after the answers: roll %q, offers %q", ms, os)
		}

		// A roll file asking for a board seat offers it too.
		csv := "handle,email,display_name,role,weight\ncyd,,,board,0\n"
		s, m, _ := call(t, u, "POST", "/api/v1/communities/club/roll/import", tok["ann"], matrixBody{ContentType: "text/csv", Data: []byte(csv)})
		if s != 200 || !strings.Contains(m["plan"].(map[string]any)["changes"].([]any)[0].(map[string]any)["kind"].(string), "update") ||
			m["plan"].(map[string]any)["changes"].([]any)[0].(map[string]any)["offered"] != true {
			t.Fatalf("import = %d %v", s, m)
		}
		if ms, os := roll(); ms != "ann:board bob:member cyd:auditor dee:board" || os != "cyd:offered" {
			t.Errorf("after the import: roll %q, offers %q", ms, os)
		}

		// Pages: the board offers eve a seat from the roll page, the roll
		// shows it as offered, eve accepts on her profile page.
		board := newCookieClient(t, u)
		board.jar["koinon_session"] = tok["ann"]
		if code, body := board.do("POST", "/communities/club/roll", url.Values{"handle": {"eve"}, "role": {"board"}, "weight": {"1"}, "_csrf": {board.csrf("/communities/club/roll")}}); code != http.StatusSeeOther {
			t.Fatalf("offer from the roll page = %d: %s", code, trim([]byte(body)))
		}
		_, page := board.do("GET", "/communities/club/roll", nil)
		if !strings.Contains(page, "was offered a seat on the board") || !strings.Contains(page, "<td>eve</td>") || !strings.Contains(page, "board seat offered") {
			t.Errorf("roll page does not show eve's offer: %s", section(page, "roll-offers"))
		}
		eve := newCookieClient(t, u)
		eve.jar["koinon_session"] = tok["eve"]
		_, profile := eve.do("GET", "/profile", nil)
		if !strings.Contains(profile, "The board of The Club, with voting weight 1") || !strings.Contains(profile, `action="/profile/board-offers/club/accept"`) {
			t.Fatalf("eve's profile shows no offer: %s", section(profile, "profile-offers"))
		}
		if code, _ := eve.do("POST", "/profile/board-offers/club/accept", url.Values{"_csrf": {eve.csrf("/profile")}}); code != http.StatusSeeOther {
			t.Fatalf("accept on the page = %d", code)
		}
		if _, profile := eve.do("GET", "/profile", nil); !strings.Contains(profile, "You are now on the board of The Club.") {
			t.Errorf("no confirmation after accepting: %s", trim([]byte(profile)))
		}
		if ms, _ := roll(); !strings.Contains(ms, "eve:board") {
			t.Errorf("eve not on the board after accepting: %q", ms)
		}
	})
}
