package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// TestDelegateProfile: the statement (sanitised Markdown), the topics,
// the first-choice weight per standing scope (hidden while a
// pseudonymous ballot is open), and the voting record on closed public
// ballots only; the search by topic; refused edits keep what was typed.
func TestDelegateProfile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		prof := "/communities/commons/delegates/ann"
		status, body, _ := bw.page(t, "ann", "POST", "/communities/commons/delegate-profile",
			form("statement", "I stand for **trees**. <script>alert(1)</script>", "topic", itoa(bw.Topic.ID)))
		if status != http.StatusSeeOther {
			t.Fatalf("save profile: %d %s", status, trim([]byte(body)))
		}
		// Delegations: bob and cat name ann first for the community, dan on
		// infra; eve names her second, and a ballot list names her too.
		put := func(who string, body map[string]any) {
			t.Helper()
			bw.expect(t, who, "PUT", "/api/v1/delegations", body, 200, "")
		}
		put("bob", map[string]any{"community": "commons", "delegates": []string{"ann"}})
		put("cat", map[string]any{"community": "commons", "delegates": []string{"ann", "bob"}})
		put("dan", map[string]any{"community": "commons", "topic": "infra", "delegates": []string{"ann"}})
		put("eve", map[string]any{"community": "commons", "delegates": []string{"fay", "ann"}})

		// Ballots ann votes on: public closed, pseudonymous closed, public open.
		vote := func(id, choice string) {
			t.Helper()
			bw.expect(t, "ann", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": choice}, 200, "")
		}
		pub := bw.createOpen(t, map[string]any{"title": "Public pick", "method": "plurality", "options": []string{"Lindens", "Oaks"}})
		vote(pub, "lindens")
		bw.expect(t, "board", "POST", "/api/v1/ballots/"+pub+"/close", nil, 200, "")
		pseudo := bw.createOpen(t, map[string]any{"title": "Pseudonymous pick", "method": "plurality", "options": []string{"Elms", "Ashes"}, "secrecy": "pseudonymous"})
		vote(pseudo, "elms")
		bw.expect(t, "board", "POST", "/api/v1/ballots/"+pseudo+"/close", nil, 200, "")
		open := bw.createOpen(t, map[string]any{"title": "Open pick", "method": "plurality", "options": []string{"Firs", "Yews"}})
		vote(open, "firs")

		page := bw.mustPage(t, "", prof, "<strong>trees</strong>", "infra", "Public pick", "Lindens")
		for _, leak := range []string{"<script>alert", "Pseudonymous pick", "Elms", "Open pick", "Firs"} {
			if strings.Contains(page, leak) {
				t.Errorf("profile shows %q", leak)
			}
		}
		weights := between(page, `<table id="weights">`, "</table>")
		if !strings.Contains(weights, "<td>commons</td><td class=\"num\">2</td><td class=\"num\">2</td>") ||
			!strings.Contains(weights, "<td>infra</td><td class=\"num\">1</td><td class=\"num\">1</td>") {
			t.Errorf("weights table: %s", weights)
		}

		// While a pseudonymous ballot is open, no weight is shown.
		bw.createOpen(t, map[string]any{"title": "Secretish", "method": "plurality", "options": []string{"A", "B"}, "secrecy": "pseudonymous"})
		page = bw.mustPage(t, "bob", prof, "Hidden while a pseudonymous ballot is open")
		if strings.Contains(page, `id="weights"`) {
			t.Error("weights shown while a pseudonymous ballot is open")
		}

		// Search by topic.
		found := bw.mustPage(t, "", "/communities/commons/delegates?topic=infra", `href="/communities/commons/delegates/ann"`)
		if strings.Contains(found, "/delegates/bob") {
			t.Error("bob listed for infra without accepting it")
		}
		if status, _, _ := bw.page(t, "", "GET", "/communities/commons/delegates?topic=nope", nil); status != http.StatusNotFound {
			t.Errorf("unknown topic: %d, want 404", status)
		}
		if status, _, _ := bw.page(t, "", "GET", "/communities/commons/delegates/out", nil); status != http.StatusNotFound {
			t.Errorf("profile of a non-member: %d, want 404", status)
		}
		// The delegation page links the delegate to the profile.
		bw.mustPage(t, "bob", "/delegations?community=commons", `href="/communities/commons/delegates/ann"`, `href="/communities/commons/delegates"`)

		// Refused edits.
		long := strings.Repeat("y", 4001)
		status, body, _ = bw.page(t, "ann", "POST", "/communities/commons/delegate-profile", form("statement", long))
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, long) || !strings.Contains(body, "must be at most") {
			t.Errorf("long statement: %d", status)
		}
		other := bw.W.Topic(bw.W.Community("elsewhere").ID, "roads")
		status, _, _ = bw.page(t, "ann", "POST", "/communities/commons/delegate-profile", form("statement", "ok", "topic", itoa(other.ID)))
		if status != http.StatusUnprocessableEntity {
			t.Errorf("topic of another community: %d, want 422", status)
		}
		bw.mustPage(t, "", prof, "<strong>trees</strong>") // unchanged

		// Without a statement here, the account's statement shows.
		if err := st.UpdateProfile(context.Background(), bw.W.ID("fay"), "Fay", "Roads *first*."); err != nil {
			t.Fatal(err)
		}
		bw.mustPage(t, "", "/communities/commons/delegates/fay", "Roads <em>first</em>.")
		bw.mustPage(t, "", "/communities/commons/delegates", "/delegates/fay", "Roads *first*.")
	})
}

// between returns the part of s from the first start to the next end.
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}
