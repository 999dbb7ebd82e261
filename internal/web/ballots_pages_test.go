package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// page fetches a page as handle ("" anonymous) with the session cookie.
func (bw *ballotWorld) page(t *testing.T, handle, method, path string, form url.Values) (int, string, http.Header) {
	t.Helper()
	tok := ""
	if handle != "" {
		tok = bw.tok(t, handle)
	}
	return pageAs(t, bw.TS.URL, tok, method, path, form)
}

// pageAs sends a page request with session token tok ("" anonymous) and,
// with a form, its CSRF token.
func pageAs(t *testing.T, base, tok, method, path string, form url.Values) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	csrf, csrfCookie := csrfFor(t, tok)
	if form != nil {
		form.Set("_csrf", csrf)
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if csrfCookie != nil {
		req.AddCookie(csrfCookie)
	}
	if tok != "" {
		req.AddCookie(&http.Cookie{Name: "koinon_session", Value: tok})
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func (bw *ballotWorld) mustPage(t *testing.T, handle, path string, want ...string) string {
	t.Helper()
	st, body, _ := bw.page(t, handle, "GET", path, nil)
	if st != 200 {
		t.Fatalf("GET %s as %q = %d: %s", path, handle, st, trim([]byte(body)))
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("GET %s as %q: missing %q", path, handle, w)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
		t.Errorf("GET %s: inline script or style attribute", path)
	}
	return body
}

func TestBallotPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *sqlstore.Store) {
		bw := newBallotWorld(t, db)
		bw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob", "cat"}}, 200, "")
		bw.expect(t, "bob", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"ann"}}, 200, "")
		bw.expect(t, "ann", "POST", "/api/v1/communities/commons/proposals", map[string]any{"title": "Plant trees", "body": "## Why\n\n*Shade*"}, 201, "")
		opts := []string{"Ada", "Bea", "Cai"}
		ids := map[string]string{}
		for _, m := range []string{"majority", "plurality", "approval", "irv", "schulze", "stv"} {
			req := map[string]any{"title": "Ballot " + m, "method": m}
			if m != "majority" {
				req["options"] = opts
			}
			ids[m] = bw.createOpen(t, req)
		}
		pseudo := bw.createOpen(t, map[string]any{"title": "Secret one", "method": "majority", "secrecy": "pseudonymous"})

		// The cycle ann ↔ bob loses until cat votes (ann's backup).
		body := bw.mustPage(t, "ann", "/delegations?community=commons", "bob", "cat", "Who delegates to me")
		if !strings.Contains(body, `data-flow="lost"`) {
			t.Error("delegation page does not show the lost cycle")
		}
		bw.expect(t, "cat", "PUT", "/api/v1/ballots/"+ids["majority"]+"/vote", map[string]any{"choice": "yes"}, 200, "")
		body = bw.mustPage(t, "ann", "/delegations?community=commons", "Your vote flows to cat")
		_ = body

		// Vote through the forms, one per method.
		vote := func(who, id string, form url.Values, wantStatus int) string {
			t.Helper()
			st, body, _ := bw.page(t, who, "POST", "/ballots/"+id+"/vote", form)
			if st != wantStatus {
				t.Fatalf("vote form on %s = %d, want %d: %s", id, st, wantStatus, trim([]byte(body)))
			}
			return body
		}
		vote("dan", ids["majority"], url.Values{"choice": {"no"}}, 303)
		vote("dan", ids["plurality"], url.Values{"choice": {"bea"}}, 303)
		vote("dan", ids["approval"], url.Values{"choice": {"ada", "cai"}}, 303)
		vote("dan", ids["schulze"], url.Values{"rank_ada": {"2"}, "rank_bea": {"1"}, "rank_cai": {"2"}}, 303)
		// Ranked without JavaScript: add, move up, then cast.
		body = vote("dan", ids["irv"], url.Values{"rank": {"ada"}, "add": {"cai"}}, 200)
		if !strings.Contains(body, `name="rank" value="cai"`) {
			t.Errorf("draft ranking lacks the added option")
		}
		body = vote("dan", ids["irv"], url.Values{"rank": {"ada", "cai"}, "up": {"cai"}}, 200)
		if strings.Index(body, `value="cai"`) > strings.Index(body, `name="rank" value="ada"`) {
			t.Errorf("moving cai up did not reorder the draft")
		}
		vote("dan", ids["irv"], url.Values{"rank": {"cai", "ada"}, "cast": {"1"}}, 303)
		vote("dan", ids["stv"], url.Values{"rank": {"bea", "ada"}, "cast": {"1"}}, 303)
		vote("dan", ids["plurality"], url.Values{"choice": {"zzz"}}, 422)
		vote("out", ids["plurality"], url.Values{"choice": {"ada"}}, 403)

		for m, want := range map[string]string{"majority": "No", "plurality": "Bea", "approval": "Ada, Cai", "schulze": "Bea &gt; Ada = Cai", "irv": "Cai &gt; Ada", "stv": "Bea &gt; Ada"} {
			bw.mustPage(t, "dan", "/ballots/"+ids[m], "Your vote: "+want, "Cast receipt")
		}
		st, _, _ := bw.page(t, "dan", "POST", "/ballots/"+ids["plurality"]+"/vote/withdraw", url.Values{})
		var hdr http.Header
		if st != 303 {
			t.Errorf("withdraw = %d", st)
		}
		bw.mustPage(t, "ann", "/ballots/"+pseudo, "What is and is not secret", "Your pseudonym")
		bw.mustPage(t, "", "/ballots/"+ids["irv"], "Sign in to vote")

		// Delegation form: a backup list, then "I vote myself here".
		st, _, hdr = bw.page(t, "eve", "POST", "/delegations", url.Values{"community": {"commons"}, "scope": {"c"}, "action": {"set"}, "delegate": {"fay", "", "gus"}})
		if st != 303 || !strings.HasPrefix(hdr.Get("Location"), "/delegations?community=commons") {
			t.Fatalf("delegation form = %d %s", st, hdr.Get("Location"))
		}
		bw.mustPage(t, "eve", "/delegations?community=commons", `<li><a href="/communities/commons/delegates/fay">fay</a></li><li><a href="/communities/commons/delegates/gus">gus</a></li>`)
		bw.page(t, "eve", "POST", "/delegations", url.Values{"community": {"commons"}, "scope": {"b:" + ids["irv"]}, "action": {"myself"}})
		bw.mustPage(t, "eve", "/delegations?community=commons", "I vote myself here")
		bw.mustPage(t, "fay", "/delegations?community=commons", "eve started delegating to you")

		// Board pages and closing from the page.
		bw.mustPage(t, "board", "/communities/commons/ballots/new", "Create a ballot")
		st, body, _ = bw.page(t, "board", "POST", "/communities/commons/ballots", url.Values{"title": {"From the form"}, "method": {"plurality"},
			"options": {"Red\nblue: Blue"}, "seats": {"1"}, "threshold": {"1/2"}, "quorum": {"0/1"}, "secrecy": {"public"}, "closes_at": {"2001-01-01T10:00"}})
		if st != 422 || !strings.Contains(body, "must be in the future") {
			t.Errorf("new ballot with a past closing time = %d", st)
		}
		st, _, hdr = bw.page(t, "board", "POST", "/communities/commons/ballots", url.Values{"title": {"From the form"}, "method": {"plurality"},
			"options": {"Red\nblue: Blue"}, "seats": {"1"}, "threshold": {"1/2"}, "quorum": {"0/1"}, "secrecy": {"public"}, "closes_at": {"2099-01-01T10:00"}, "delegation": {"1"}})
		if st != 303 {
			t.Fatalf("new ballot form = %d", st)
		}
		bw.mustPage(t, "board", hdr.Get("Location"), "Open the ballot", "Red", "Blue")
		for _, m := range []string{"majority", "irv", "schulze"} {
			st, _, _ = bw.page(t, "board", "POST", "/ballots/"+ids[m]+"/close", url.Values{"confirm": {"1"}})
			if st != 303 {
				t.Fatalf("close %s from the page = %d", m, st)
			}
		}
		bw.mustPage(t, "dan", "/ballots/"+ids["majority"], "Result", "Download the signed proof", "Your receipt", "/verify")
		bw.mustPage(t, "dan", "/ballots/"+ids["irv"], "Elected / chosen:", "Your receipt")
		bw.mustPage(t, "", "/ballots/"+ids["schulze"], "Ranking:")
		st, proofBody, hdr := bw.page(t, "", "GET", "/ballots/"+ids["majority"]+"/proof", nil)
		if st != 200 || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") || !strings.Contains(proofBody, "koinon-tally-proof/1") {
			t.Errorf("proof download from the page: %d %s", st, hdr.Get("Content-Disposition"))
		}

		bw.mustPage(t, "", "/communities/commons/ballots", "Ballot majority")
		bw.mustPage(t, "", "/communities/commons/proposals", "Plant trees")
		bw.mustPage(t, "ann", "/communities/commons/proposals/new", "Write a proposal")
		body = bw.mustPage(t, "bob", "/proposals/1", "<h2>Why</h2>", "<em>Shade</em>", "Support this proposal")
		st, _, _ = bw.page(t, "bob", "POST", "/proposals/1/support", url.Values{"support": {"1"}})
		if st != 303 {
			t.Errorf("support form = %d", st)
		}
		bw.mustPage(t, "bob", "/proposals/1", "1 supporter<", "Withdraw my support")
		st, body, _ = bw.page(t, "ann", "POST", "/communities/commons/proposals", url.Values{"title": {""}, "body": {"x"}})
		if st != 422 || !strings.Contains(body, "field-error") {
			t.Errorf("empty proposal title = %d", st)
		}
		if st, body, _ := bw.page(t, "", "GET", "/verify", nil); st != 200 && st != 500 {
			t.Errorf("GET /verify = %d %s", st, trim([]byte(body)))
		}
		bw.mustPage(t, "ann", fmt.Sprintf("/ballots/%s", ids["stv"]), "Single transferable vote")
	})
}

func TestBallotPagesInGerman(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	id := bw.createOpen(t, map[string]any{"title": "Abstimmung", "method": "majority"})
	req, _ := http.NewRequest("GET", bw.TS.URL+"/ballots/"+id, nil)
	req.Header.Set("Accept-Language", "de")
	req.AddCookie(&http.Cookie{Name: "koinon_session", Value: bw.tok(t, "ann")})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), "Ihre Stimme") {
		t.Errorf("German ballot page: %s", trim(b))
	}
}
