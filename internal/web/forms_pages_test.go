package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"koinon/internal/store/storetest"
)

// createDraft makes a ballot as board and leaves it a draft.
func (bw *ballotWorld) createDraft(t *testing.T, req map[string]any) string {
	t.Helper()
	req["closes_at"] = future()
	m := bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", req, 201, "")
	return fmt.Sprint(int64(m["id"].(float64)))
}

func TestDraftsAreTheBoardsOnly(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	id := bw.createDraft(t, map[string]any{"title": "Secret draft", "method": "plurality", "options": []string{"Quince", "Rowan"}})
	for _, who := range []string{"", "ann", "aud", "out"} {
		for _, path := range []string{"/ballots/" + id, "/ballots/" + id + "/results", "/ballots/" + id + "/audit"} {
			if st, body, _ := bw.page(t, who, "GET", path, nil); st != 404 || strings.Contains(body, "Quince") {
				t.Errorf("GET %s as %q = %d, want 404 without the options", path, who, st)
			}
		}
		for _, path := range []string{"/api/v1/ballots/" + id, "/api/v1/ballots/" + id + "/result", "/api/v1/ballots/" + id + "/log", "/api/v1/ballots/" + id + "/proof"} {
			if st, m := bw.api(t, who, "GET", path, nil); st != 404 {
				t.Errorf("GET %s as %q = %d %v, want 404", path, who, st, m)
			}
		}
		if _, body, _ := bw.page(t, who, "GET", "/communities/commons/ballots", nil); strings.Contains(body, "Secret draft") {
			t.Errorf("ballot list shows the draft to %q", who)
		}
		if _, m := bw.api(t, who, "GET", "/api/v1/communities/commons/ballots", nil); strings.Contains(fmt.Sprint(m), "Secret draft") {
			t.Errorf("API list shows the draft to %q", who)
		}
	}
	bw.mustPage(t, "board", "/ballots/"+id, "Quince")
	bw.mustPage(t, "board", "/communities/commons/ballots", "Secret draft")
	bw.expect(t, "board", "GET", "/api/v1/ballots/"+id, nil, 200, "")
	if _, m := bw.api(t, "board", "GET", "/api/v1/communities/commons/ballots?state=draft", nil); !strings.Contains(fmt.Sprint(m), "Secret draft") {
		t.Errorf("API list hides the draft from the board: %v", m)
	}
}

// TestProposalAPIHidesADraftBallot: a proposal's API view names its
// ballot only once the ballot is no draft (or to the board), as the pages do.
func TestProposalAPIHidesADraftBallot(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	st, m := bw.api(t, "ann", "POST", "/api/v1/communities/commons/proposals", map[string]any{"title": "Plant rowans", "body": "Along the river."})
	if st != 201 {
		t.Fatalf("create proposal = %d %v", st, m)
	}
	pid := fmt.Sprint(m["id"])
	id := bw.createDraft(t, map[string]any{"proposal": m["id"]})
	for _, who := range []string{"", "ann", "out"} {
		if _, m := bw.api(t, who, "GET", "/api/v1/proposals/"+pid, nil); m["ballot"] != nil {
			t.Errorf("GET proposal as %q names the draft ballot: %v", who, m["ballot"])
		}
		if _, m := bw.api(t, who, "GET", "/api/v1/communities/commons/proposals", nil); strings.Contains(fmt.Sprint(m["proposals"]), "ballot:"+id) {
			t.Errorf("proposal list as %q names the draft ballot: %v", who, m["proposals"])
		}
	}
	if _, m := bw.api(t, "board", "GET", "/api/v1/proposals/"+pid, nil); fmt.Sprint(m["ballot"]) != id {
		t.Errorf("the board does not see its draft ballot %s: %v", id, m["ballot"])
	}
	bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/open", nil, 200, "")
	if _, m := bw.api(t, "ann", "GET", "/api/v1/proposals/"+pid, nil); fmt.Sprint(m["ballot"]) != id {
		t.Errorf("an open ballot is not named to members: %v", m["ballot"])
	}
}

// voteForm posts the vote form of ballot id as handle.
func (bw *ballotWorld) voteForm(t *testing.T, handle, id string, kv ...string) (int, string) {
	t.Helper()
	form := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	st, body, _ := bw.page(t, handle, "POST", "/ballots/"+id+"/vote", form)
	return st, body
}

func TestVoteFormRefusesEmptyAndInvalid(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	ids := map[string]string{}
	for _, m := range []string{"majority", "plurality", "approval", "irv", "stv", "schulze"} {
		req := map[string]any{"title": "Ballot " + m, "method": m}
		if m != "majority" {
			req["options"] = []string{"Ada", "Bea", "Cai"}
		}
		if m == "stv" {
			req["seats"] = 2
		}
		ids[m] = bw.createOpen(t, req)
	}
	for _, tc := range []struct {
		name, method string
		form         []string
		want         []string // in the refused page
	}{
		{"majority: nothing chosen", "majority", []string{"cast", "1"}, []string{"Choose one option."}},
		{"majority: forged option", "majority", []string{"cast", "1", "choice", "perhaps"}, []string{"not one of this ballot"}},
		{"plurality: nothing chosen", "plurality", []string{"cast", "1"}, []string{"Choose one option."}},
		{"plurality: two chosen", "plurality", []string{"choice", "ada", "choice", "bea"}, []string{"Choose one option."}},
		{"plurality: forged option", "plurality", []string{"choice", "zed"}, []string{"not one of this ballot"}},
		{"approval: no box ticked", "approval", []string{"cast", "1"}, []string{"Tick at least one option", `id="abstain-vote"`}},
		{"approval: forged option", "approval", []string{"choice", "ada", "choice", "zed"}, []string{"not one of this ballot", `value="ada" checked`}},
		{"approval: repeated option", "approval", []string{"choice", "ada", "choice", "ada"}, []string{"not one of this ballot"}},
		{"irv: nothing ranked", "irv", []string{"cast", "1"}, []string{"Rank at least one option"}},
		{"irv: forged option", "irv", []string{"rank", "ada", "rank", "zed"}, []string{"not one of this ballot"}},
		{"stv: nothing ranked", "stv", []string{"cast", "1"}, []string{"Rank at least one option"}},
		{"schulze: every rank blank", "schulze", []string{"rank_ada", "", "rank_bea", " ", "rank_cai", ""}, []string{"Give at least one option a rank"}},
		{"schulze: rank 0", "schulze", []string{"rank_ada", "0", "rank_bea", "1"}, []string{"from 1 to 3", `value="0"`, `value="1"`}},
		{"schulze: rank -3", "schulze", []string{"rank_ada", "-3"}, []string{"from 1 to 3", `value="-3"`}},
		{"schulze: rank 1000", "schulze", []string{"rank_ada", "1000", "rank_bea", "2"}, []string{"from 1 to 3", `value="1000"`, `value="2"`}},
		{"schulze: rank abc", "schulze", []string{"rank_cai", "abc"}, []string{"from 1 to 3", `value="abc"`}},
		{"schulze: rank too long for int64", "schulze", []string{"rank_ada", "99999999999999999999"}, []string{"from 1 to 3", `value="99999999999999999999"`}},
		{"schulze: forged option", "schulze", []string{"rank_ada", "1", "rank_zed", "2"}, []string{"not one of this ballot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := bw.voteForm(t, "ann", ids[tc.method], tc.form...)
			if st != 422 {
				t.Fatalf("POST vote = %d, want 422 with the form again", st)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("refused form lacks %q", w)
				}
			}
			if !strings.Contains(body, `class="field-error"`) {
				t.Error("no error beside the field")
			}
			bw.expect(t, "ann", "GET", "/api/v1/ballots/"+ids[tc.method]+"/vote", nil, 404, "")
		})
	}
	t.Run("explicit empty ballot is recorded and says what it does", func(t *testing.T) {
		bw.mustPage(t, "ann", "/ballots/"+ids["schulze"], "I abstain: rank nobody", "overrides your delegation")
		for _, m := range []string{"approval", "irv", "stv", "schulze"} {
			if st, body := bw.voteForm(t, "ann", ids[m], "abstain", "1", "rank_ada", "7"); st != 303 {
				t.Fatalf("%s: abstain = %d: %s", m, st, trim([]byte(body)))
			}
			v := bw.expect(t, "ann", "GET", "/api/v1/ballots/"+ids[m]+"/vote", nil, 200, "")
			if got := fmt.Sprint(v["choice"]); got != "[]" {
				t.Errorf("%s: empty ballot recorded as %s", m, got)
			}
		}
		if st, body, _ := bw.page(t, "", "GET", "/ballots/"+ids["plurality"], nil); st != 200 || strings.Contains(body, `id="abstain-vote"`) {
			t.Errorf("plurality offers an empty ballot its method cannot count")
		}
	})
	t.Run("valid ranks are recorded", func(t *testing.T) {
		if st, _ := bw.voteForm(t, "bob", ids["schulze"], "rank_ada", "2", "rank_bea", " 1 ", "rank_cai", ""); st != 303 {
			t.Fatalf("valid schulze vote = %d", st)
		}
		v := bw.expect(t, "bob", "GET", "/api/v1/ballots/"+ids["schulze"]+"/vote", nil, 200, "")
		if got := fmt.Sprint(v["choice"]); got != "[[bea] [ada]]" {
			t.Errorf("schulze vote recorded as %s", got)
		}
	})
}

func TestVoteAPIRefusesInvalidChoices(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	ids := map[string]string{}
	for _, m := range []string{"plurality", "approval", "irv", "schulze"} {
		ids[m] = bw.createOpen(t, map[string]any{"title": "Ballot " + m, "method": m, "options": []string{"Ada", "Bea"}})
	}
	for _, tc := range []struct {
		method string
		choice any
		field  string
	}{
		{"plurality", "", "choice"},
		{"plurality", "zed", "choice"},
		{"approval", []string{"ada", "zed"}, "choice[1]"},
		{"approval", []string{"ada", "ada"}, "choice[1]"},
		{"irv", []string{"zed"}, "choice[0]"},
		{"irv", 7, "choice"},
		{"schulze", [][]string{{"ada"}, {}}, "choice[1]"},
		{"schulze", [][]string{{"zed"}}, "choice[0][0]"},
	} {
		st, m := bw.api(t, "ann", "PUT", "/api/v1/ballots/"+ids[tc.method]+"/vote", map[string]any{"choice": tc.choice})
		if _, f := errField(m); st != 422 || f != tc.field {
			t.Errorf("%s %v: %d field %q, want 422 naming %q", tc.method, tc.choice, st, f, tc.field)
		}
	}
	// An API client states an empty ballot explicitly as [] (tally.md §4).
	bw.expect(t, "ann", "PUT", "/api/v1/ballots/"+ids["approval"]+"/vote", map[string]any{"choice": []string{}}, 200, "")
}
