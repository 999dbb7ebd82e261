package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// list GETs a JSON array as handle.
func (bw *ballotWorld) list(t *testing.T, handle, path string, want int) []map[string]any {
	t.Helper()
	res, body := bw.raw(t, handle, "GET", path, nil)
	if res.StatusCode != want {
		t.Fatalf("GET %s as %q = %d %s, want %d", path, handle, res.StatusCode, body, want)
	}
	var out []map[string]any
	if want == 200 {
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, body)
		}
	}
	return out
}

// A proposal's deliberation through the API: arguments, a reply, support,
// a suggestion adopted, a revision, a post hidden with its reason in the
// moderation log, the discussion frozen; bad input is 422 naming the
// field, and the author's rights are the author's.
func TestDeliberationAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		p := bw.expect(t, "ann", "POST", "/api/v1/communities/commons/proposals", map[string]any{"title": "Plant trees", "body": "Along *the* river."}, 201, "")
		base := fmt.Sprintf("/api/v1/proposals/%d", int64(p["id"].(float64)))

		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"kind": "maybe", "body": "Hm."}, "kind"},
			{map[string]any{"kind": "for", "body": "   "}, "body"},
			{map[string]any{"kind": "for", "body": strings.Repeat("long ", 401)}, "body"},
			{map[string]any{"kind": "comment", "body": "Re.", "parent": 0}, "parent"},
			{map[string]any{"kind": "comment", "body": "Re.", "parent": 99999}, "parent"},
			{map[string]any{"kind": 3, "body": "Hm."}, "kind"},
		} {
			bw.expect(t, "bob", "POST", base+"/posts", tc.body, 422, tc.field)
		}
		arg := bw.expect(t, "bob", "POST", base+"/posts", map[string]any{"kind": "for", "body": "Shade in **summer**."}, 201, "")
		if arg["kind"] != "for" || arg["author"] != "bob" || arg["supporters"] != 0.0 {
			t.Errorf("new argument = %v", arg)
		}
		argID := int64(arg["id"].(float64))
		bw.expect(t, "cat", "POST", base+"/posts", map[string]any{"kind": "against", "body": "Roots break the path."}, 201, "")
		reply := bw.expect(t, "dan", "POST", base+"/posts", map[string]any{"kind": "for", "body": "Agreed.", "parent": argID}, 201, "")
		if reply["kind"] != "comment" || reply["parent"] != float64(argID) {
			t.Errorf("a reply is a comment under its parent: %v", reply)
		}
		if m := bw.expect(t, "cat", "PUT", fmt.Sprintf("%s/posts/%d/support", base, argID), nil, 200, ""); m["supporters"] != 1.0 || m["supported"] != true {
			t.Errorf("after support: %v", m)
		}
		bw.expect(t, "cat", "PUT", fmt.Sprintf("%s/posts/%d/support", base, 99999), nil, 404, "")

		// A suggestion, adopted by the author only, then a revision.
		bw.expect(t, "bob", "POST", base+"/suggestions", map[string]any{"body": ""}, 422, "body")
		sg := bw.expect(t, "bob", "POST", base+"/suggestions", map[string]any{"body": "Name the river."}, 201, "")
		sgPath := fmt.Sprintf("%s/suggestions/%d", base, int64(sg["id"].(float64)))
		bw.expect(t, "bob", "PUT", sgPath, map[string]any{"state": "adopted"}, 403, "")
		bw.expect(t, "ann", "PUT", sgPath, map[string]any{"state": "maybe"}, 422, "state")
		if m := bw.expect(t, "ann", "PUT", sgPath, map[string]any{"state": "adopted"}, 200, ""); m["state"] != "adopted" {
			t.Errorf("decided suggestion = %v", m)
		}
		bw.expect(t, "bob", "POST", base+"/revisions", map[string]any{"title": "Mine now", "body": "x"}, 403, "")
		bw.expect(t, "ann", "POST", base+"/revisions", map[string]any{"title": "", "body": "x"}, 422, "title")
		if v := bw.expect(t, "ann", "POST", base+"/revisions", map[string]any{"title": "Plant trees", "body": "Along the Isar.", "note": "named the river"}, 201, ""); v["version"] != 2.0 {
			t.Errorf("revision = %v", v)
		}
		if m := bw.expect(t, "gus", "GET", base+"/versions", nil, 200, ""); len(m["versions"].([]any)) != 2 {
			t.Errorf("versions = %v", m)
		}

		// The board hides the argument against: its body goes, its
		// reason stays, and the moderation log says so to members.
		d := bw.expect(t, "", "GET", base+"/deliberation", nil, 200, "")
		posts := d["posts"].([]any)
		against := int64(posts[1].(map[string]any)["id"].(float64))
		hide := fmt.Sprintf("%s/posts/%d/hide", base, against)
		bw.expect(t, "bob", "POST", hide, map[string]any{"reason": "rude"}, 403, "")
		bw.expect(t, "board", "POST", hide, map[string]any{"reason": " "}, 422, "reason")
		if m := bw.expect(t, "board", "POST", hide, map[string]any{"reason": "personal attack"}, 200, ""); m["body"] != nil || m["hidden_reason"] != "personal attack" {
			t.Errorf("hidden post = %v", m)
		}
		bw.expect(t, "board", "POST", hide, map[string]any{"reason": "again"}, 409, "")
		if log := bw.list(t, "gus", "/api/v1/communities/commons/moderation", 200); len(log) != 1 || log[0]["reason"] != "personal attack" {
			t.Errorf("moderation log = %v", log)
		}
		bw.list(t, "out", "/api/v1/communities/commons/moderation", 403)

		// The phase: bad days, a freeze needs confirm, then frozen.
		bw.expect(t, "bob", "PUT", base+"/discussion-end", map[string]any{"days": 3}, 403, "")
		bw.expect(t, "ann", "PUT", base+"/discussion-end", map[string]any{"days": 91}, 422, "days")
		bw.expect(t, "ann", "PUT", base+"/discussion-end", map[string]any{}, 422, "days")
		bw.expect(t, "ann", "PUT", base+"/discussion-end", map[string]any{"days": 0}, 422, "confirm")
		if m := bw.expect(t, "board", "PUT", base+"/discussion-end", map[string]any{"days": 0, "confirm": true}, 200, ""); m["phase"] != store.PhaseFrozen {
			t.Errorf("after the freeze = %v", m)
		}
		bw.expect(t, "bob", "POST", base+"/suggestions", map[string]any{"body": "Too late?"}, 409, "")
		d = bw.expect(t, "", "GET", base+"/deliberation", nil, 200, "")
		if d["phase"] != store.PhaseFrozen || d["version"] != 2.0 || len(d["posts"].([]any)) != 3 || len(d["suggestions"].([]any)) != 1 {
			t.Errorf("deliberation = %v", d)
		}
	})
}

// A comment flood through the API: the sixth post in a burst is 429 with
// Retry-After, and nothing of it is stored.
func TestDeliberationAPICommentFlood(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	p := bw.expect(t, "ann", "POST", "/api/v1/communities/commons/proposals", map[string]any{"title": "Flood", "body": "x"}, 201, "")
	base := fmt.Sprintf("/api/v1/proposals/%d", int64(p["id"].(float64)))
	for i := range 5 {
		bw.expect(t, "bob", "POST", base+"/posts", map[string]any{"kind": "comment", "body": fmt.Sprintf("comment %d", i)}, 201, "")
	}
	st, m := bw.api(t, "bob", "POST", base+"/posts", map[string]any{"kind": "comment", "body": "one more"})
	if st != 429 {
		t.Fatalf("sixth comment = %d %v, want 429", st, m)
	}
	bw.expect(t, "bob", "POST", base+"/suggestions", map[string]any{"body": "and a suggestion"}, 429, "")
	bw.expect(t, "cat", "POST", base+"/posts", map[string]any{"kind": "comment", "body": "another citizen"}, 201, "")
	if d := bw.expect(t, "", "GET", base+"/deliberation", nil, 200, ""); len(d["posts"].([]any)) != 6 {
		t.Errorf("%d posts stored, want 6", len(d["posts"].([]any)))
	}
}

// Delegate profiles through the API: a member writes her own (bad topic
// or statement: 422 naming the field), anyone reads it and finds her by
// topic.
func TestDelegateProfileAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		path := "/api/v1/communities/commons/delegate-profile"
		bw.expect(t, "bob", "PUT", path, map[string]any{"statement": "Trees.", "topics": []string{"nope"}}, 422, "topics")
		bw.expect(t, "bob", "PUT", path, map[string]any{"statement": strings.Repeat("x", 20001)}, 422, "statement")
		bw.expect(t, "bob", "PUT", path, map[string]any{"statement": 5}, 422, "statement")
		bw.expect(t, "out", "PUT", path, map[string]any{"statement": "Let me in."}, 403, "")
		m := bw.expect(t, "bob", "PUT", path, map[string]any{"statement": "I stand for **trees**.", "topics": []string{"infra"}}, 200, "")
		if m["handle"] != "bob" || m["statement"] != "I stand for **trees**." || fmt.Sprint(m["topics"]) != "[infra]" {
			t.Errorf("saved profile = %v", m)
		}
		bw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
		m = bw.expect(t, "", "GET", "/api/v1/communities/commons/delegates/bob", nil, 200, "")
		if w := m["weights"].([]any); len(w) != 1 || w[0].(map[string]any)["delegators"] != 1.0 {
			t.Errorf("weights = %v", m["weights"])
		}
		bw.expect(t, "", "GET", "/api/v1/communities/commons/delegates/out", nil, 404, "")
		found := bw.list(t, "", "/api/v1/communities/commons/delegates?topic=infra", 200)
		if len(found) != 1 || found[0]["handle"] != "bob" || found[0]["excerpt"] != "I stand for **trees**." {
			t.Errorf("delegates of infra = %v", found)
		}
		res, body := bw.raw(t, "", "GET", "/api/v1/communities/commons/delegates?topic=nope", nil)
		if res.StatusCode != 404 || !strings.Contains(string(body), `"field":"topic"`) {
			t.Errorf("unknown topic = %d %s, want 404 naming topic", res.StatusCode, body)
		}
	})
}

// Notifications through the API: the list in the caller's language, the
// unread count, marking one or all read (another's is 404), and the mail
// switches (an unknown kind is 422 naming muted).
func TestNotificationsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		for _, title := range []string{"First", "Second", "Third"} {
			bw.createOpen(t, map[string]any{"title": title, "method": "majority", "delegation": true, "secrecy": "public"})
		}
		if m := bw.expect(t, "gus", "GET", "/api/v1/notifications/unread", nil, 200, ""); m["unread"] != 3.0 {
			t.Fatalf("unread = %v", m)
		}
		m := bw.expect(t, "gus", "GET", "/api/v1/notifications?limit=2", nil, 200, "")
		items := m["items"].([]any)
		if len(items) != 2 || m["next_before"] == nil || !strings.Contains(items[0].(map[string]any)["text"].(string), "Third") {
			t.Fatalf("first page = %v", m)
		}
		m = bw.expect(t, "gus", "GET", fmt.Sprintf("/api/v1/notifications?limit=2&before=%v", m["next_before"]), nil, 200, "")
		if items := m["items"].([]any); len(items) != 1 || m["next_before"] != nil || items[0].(map[string]any)["kind"] != "ballot_opened" {
			t.Fatalf("second page = %v", m)
		}
		first := int64(m["items"].([]any)[0].(map[string]any)["id"].(float64))
		bw.expect(t, "gus", "GET", "/api/v1/notifications?limit=0", nil, 422, "limit")
		bw.expect(t, "gus", "GET", "/api/v1/notifications?before=x", nil, 422, "before")
		res, body := bw.raw(t, "gus", "GET", "/api/v1/notifications?limit=1", map[string]string{"Accept-Language": "de"})
		if res.StatusCode != 200 || !strings.Contains(string(body), "Die Abstimmung") {
			t.Errorf("German list = %d %s", res.StatusCode, body)
		}

		bw.expect(t, "ann", "POST", "/api/v1/notifications/read", map[string]any{"id": first}, 404, "")
		bw.expect(t, "gus", "POST", "/api/v1/notifications/read", map[string]any{"id": -1}, 422, "id")
		if m := bw.expect(t, "gus", "POST", "/api/v1/notifications/read", map[string]any{"id": first}, 200, ""); m["unread"] != 2.0 {
			t.Errorf("after marking one = %v", m)
		}
		if m := bw.expect(t, "gus", "POST", "/api/v1/notifications/read", map[string]any{}, 200, ""); m["unread"] != 0.0 {
			t.Errorf("after marking all = %v", m)
		}
		if m := bw.expect(t, "ann", "GET", "/api/v1/notifications/unread", nil, 200, ""); m["unread"] != 3.0 {
			t.Errorf("ann's count moved with gus's: %v", m)
		}

		s := bw.expect(t, "gus", "GET", "/api/v1/notifications/settings", nil, 200, "")
		if len(s["kinds"].([]any)) != len(store.NotificationKinds) || len(s["muted"].([]any)) != 0 || s["mail"] != st.MailEnabled() {
			t.Errorf("settings = %v", s)
		}
		bw.expect(t, "gus", "PUT", "/api/v1/notifications/settings", map[string]any{"muted": []string{"spam"}}, 422, "muted")
		bw.expect(t, "gus", "PUT", "/api/v1/notifications/settings", map[string]any{}, 422, "muted")
		s = bw.expect(t, "gus", "PUT", "/api/v1/notifications/settings", map[string]any{"muted": []string{"result_sealed", "decryption_share"}}, 200, "")
		if fmt.Sprint(s["muted"]) != "[result_sealed decryption_share]" {
			t.Errorf("muted = %v", s["muted"])
		}
	})
}
