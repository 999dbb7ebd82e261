package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// TestDeliberationRefusals: bad input is refused beside its field with
// what was typed kept; ending the discussion needs confirming; a frozen
// text cannot change; a hidden post shows the board's reason and the
// moderation log lists it; a post flood gets 429.
func TestDeliberationRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		p := store.Proposal{CommunityID: bw.C.ID, AuthorID: bw.W.Citizens["ann"].ID, Title: "Trees", Body: "Plant trees."}
		if err := st.CreateProposal(context.Background(), &p); err != nil {
			t.Fatal(err)
		}
		base := "/proposals/" + itoa(p.ID)
		post := func(handle, path string, f url.Values, want int, contains ...string) string {
			t.Helper()
			status, body, _ := bw.page(t, handle, "POST", base+path, f)
			if status != want {
				t.Fatalf("POST %s as %s = %d, want %d: %s", path, handle, status, want, trim([]byte(body)))
			}
			for _, c := range contains {
				if !strings.Contains(body, c) {
					t.Errorf("POST %s as %s: missing %q in %s", path, handle, c, trim([]byte(body)))
				}
			}
			return body
		}
		long := strings.Repeat("x", 2001)
		post("bob", "/posts", form("kind", "for", "body", long), http.StatusUnprocessableEntity, "must be at most 2,000 characters", long)
		post("bob", "/posts", form("kind", "sideways", "body", "hm"), http.StatusUnprocessableEntity, "is required")
		post("bob", "/posts", form("kind", "comment", "body", "   "), http.StatusUnprocessableEntity, "is required")
		post("bob", "/posts", form("parent", "99999", "body", "a reply"), http.StatusUnprocessableEntity, "not on this proposal", "a reply")
		post("ann", "/revisions", form("title", "", "body", "New text", "note", "n"), http.StatusUnprocessableEntity, "is required", "New text")
		post("bob", "/revisions", form("title", "T", "body", "B"), http.StatusForbidden)
		post("ann", "/discussion-end", form("days", "91"), http.StatusUnprocessableEntity, "from 0 to 90")
		post("ann", "/discussion-end", form("days", "0"), http.StatusUnprocessableEntity, "cannot be undone")
		if _, err := st.ProposalByID(context.Background(), p.ID); err != nil {
			t.Fatal(err)
		}

		// A comment with a script, hidden by the board with a reason.
		post("cat", "/posts", form("kind", "comment", "body", "spam <script>alert(1)</script> [x](javascript:alert(1))"), http.StatusSeeOther)
		posts, err := st.Posts(context.Background(), p.ID, 0)
		if err != nil || len(posts) != 1 {
			t.Fatalf("posts %v, %v", posts, err)
		}
		page := bw.mustPage(t, "bob", base)
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "javascript:") {
			t.Error("the post's script or javascript: link reached the page")
		}
		pid := itoa(posts[0].ID)
		post("board", "/posts/"+pid+"/hide", form("reason", ""), http.StatusUnprocessableEntity, "is required")
		post("board", "/posts/"+pid+"/hide", form("reason", "Advertising"), http.StatusSeeOther)
		post("board", "/posts/"+pid+"/hide", form("reason", "again"), http.StatusConflict)
		bw.mustPage(t, "bob", base, "Hidden by the board: Advertising")
		bw.mustPage(t, "bob", "/communities/"+bw.C.Slug+"/moderation", "Advertising", "board", "Trees")

		// Revision keeps version 1; then freezing stops revisions and suggestions.
		post("ann", "/revisions", form("title", "Trees", "body", "Plant lindens."), http.StatusSeeOther)
		bw.mustPage(t, "", base+"/versions?from=1&to=2", "Plant trees.", "Plant lindens.")
		if status, _, _ := bw.page(t, "", "GET", base+"/versions?from=0", nil); status != http.StatusBadRequest {
			t.Errorf("version 0: %d, want 400", status)
		}
		post("ann", "/discussion-end", form("days", "0", "confirm", "1"), http.StatusSeeOther)
		post("ann", "/revisions", form("title", "Trees", "body", "Plant oaks."), http.StatusConflict)
		post("bob", "/suggestions", form("body", "More trees"), http.StatusConflict)
		if vs, _ := st.ProposalVersions(context.Background(), p); len(vs) != 2 {
			t.Errorf("versions after the refused revision: %d, want 2", len(vs))
		}

		// A drafted ballot freezes the text; only the board learns of the draft.
		q := store.Proposal{CommunityID: bw.C.ID, AuthorID: bw.W.Citizens["ann"].ID, Title: "Benches", Body: "Add benches."}
		if err := st.CreateProposal(context.Background(), &q); err != nil {
			t.Fatal(err)
		}
		draft := bw.createDraft(t, map[string]any{"title": "Benches?", "method": "majority", "proposal": q.ID})
		for _, who := range []string{"", "ann", "bob"} {
			page := bw.mustPage(t, who, "/proposals/"+itoa(q.ID), "Now: frozen")
			if strings.Contains(page, "/ballots/"+draft) || strings.Contains(page, "drafted") {
				t.Errorf("proposal page shows %q the draft ballot", who)
			}
		}
		bw.mustPage(t, "board", "/proposals/"+itoa(q.ID), "/ballots/"+draft, "drafted the ballot")

		// A flood: the burst passes, then 429 with Retry-After.
		for i := 0; i < 5; i++ {
			post("dan", "/posts", form("kind", "comment", "body", "again "+itoa(i)), http.StatusSeeOther)
		}
		status, _, hdr := bw.page(t, "dan", "POST", base+"/posts", form("kind", "comment", "body", "once more"))
		if status != http.StatusTooManyRequests || hdr.Get("Retry-After") != "10" {
			t.Errorf("sixth post at once: %d (Retry-After %q), want 429", status, hdr.Get("Retry-After"))
		}
		post("eve", "/posts", form("kind", "comment", "body", "another citizen is not limited"), http.StatusSeeOther)
	})
}
