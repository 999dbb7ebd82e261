package web_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"koinon/internal/pabulib"
	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// budgetBallot is the request of a budget ballot over four projects with
// the worked example's costs (spec example 06).
func budgetBallot(kv ...any) map[string]any {
	m := map[string]any{"title": "Share out the fund", "method": "budget", "budget": 100, "currency": "EUR", "closes_at": future(),
		"options": []map[string]any{
			{"key": "a", "label": "Server upgrade", "cost": 60, "description": "Two new machines"},
			{"key": "b", "label": "Translation sprint", "cost": 40},
			{"key": "c", "label": "Accessibility audit", "cost": 30},
			{"key": "d", "label": "Meetup travel", "cost": 20},
		}}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

func TestBudgetBallotAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		tooMany := []map[string]any{}
		for i := range 201 {
			tooMany = append(tooMany, map[string]any{"label": fmt.Sprintf("Project %d", i), "cost": 1})
		}
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"cost 0", budgetBallot("options", []map[string]any{{"label": "A", "cost": 0}}), "options[0].cost"},
			{"missing cost", budgetBallot("options", []map[string]any{{"label": "A", "cost": 5}, {"label": "B"}}), "options[1].cost"},
			{"budget below 0", budgetBallot("budget", -1), "budget"},
			{"missing budget", budgetBallot("budget", nil), "budget"},
			{"too many projects", budgetBallot("options", tooMany), "options"},
			{"unknown rule", budgetBallot("budget_rule", "borda"), "budget_rule"},
			{"unknown completion", budgetBallot("completion", "add2"), "completion"},
			{"greedy with completion", budgetBallot("budget_rule", "greedy", "completion", "add1"), "budget_rule"},
			{"budget on a majority ballot", map[string]any{"title": "T", "method": "majority", "budget": 5, "closes_at": future()}, "budget"},
			{"cost on an approval ballot", map[string]any{"title": "T", "method": "approval", "closes_at": future(),
				"options": []map[string]any{{"label": "A", "cost": 3}, {"label": "B"}}}, "options[0].cost"},
		} {
			if tc.field == "budget" && tc.body["budget"] == nil {
				delete(tc.body, "budget")
			}
			if st, m := bw.api(t, "board", "POST", "/api/v1/communities/commons/ballots", tc.body); st != 422 {
				t.Errorf("%s: %d %v, want 422", tc.name, st, m)
			} else if _, f := errField(m); f != tc.field {
				t.Errorf("%s: field %q (%v), want %q", tc.name, f, m, tc.field)
			}
		}
		var made int64
		if err := storetest.DB(t, st).Model(&store.Ballot{}).Where("method = ?", "budget").Count(&made).Error; err != nil || made != 0 {
			t.Errorf("refused requests stored %d ballots (%v)", made, err)
		}

		// The worked example's projects through the API: ann delegates to
		// bob, who carries 2; cat votes a, c; dan c, d; eve an empty ballot.
		// W = 5, so each unit of weight gets 20: a is paid by bob and cat
		// (q = 20), then only d is still affordable (dan alone).
		bw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
		id := bw.createOpen(t, budgetBallot())
		m := bw.expect(t, "ann", "GET", "/api/v1/ballots/"+id, nil, 200, "")
		if m["budget"] != 100.0 || m["budget_rule"] != "mes" || m["completion"] != "add1" || m["exhaustive_stop"] != true {
			t.Errorf("ballot view %v", m)
		}
		if o := m["options"].([]any)[0].(map[string]any); o["cost"] != 60.0 || o["description"] != "Two new machines" {
			t.Errorf("option view %v", o)
		}
		vote := func(who string, keys ...string) {
			t.Helper()
			if keys == nil {
				keys = []string{}
			}
			bw.expect(t, who, "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": keys}, 200, "")
		}
		vote("bob", "a", "b")
		vote("cat", "a", "c")
		vote("dan", "c", "d")
		vote("eve")
		bw.expect(t, "fay", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": []string{"a", "z"}}, 422, "")
		bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
		res := bw.expect(t, "ann", "GET", "/api/v1/ballots/"+id+"/result", nil, 200, "")
		if w := res["winners"]; fmt.Sprint(w) != "[a d]" || res["spent"] != 80.0 || res["left"] != 20.0 {
			t.Fatalf("result %v", res)
		}
		if len(res["payments"].([]any)) != 4 || res["endowment"] == nil {
			t.Errorf("payments %v endowment %v", res["payments"], res["endowment"])
		}

		// The proof carries the result and verifies.
		resp, body := bw.raw(t, "ann", "GET", "/api/v1/ballots/"+id+"/proof", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("proof: %d", resp.StatusCode)
		}
		if r := proof.Verify(body, nil); !r.OK {
			t.Fatalf("proof does not verify: %+v", r.Checks[len(r.Checks)-1])
		}
		if !bytes.Contains(body, []byte(`"budget":100,"budget_rule":"mes"`)) || !bytes.Contains(body, []byte(`"cost":60`)) {
			t.Errorf("proof lacks the budget fields: %.300s", body)
		}

		// Exports: the .pb file counts to the same outcome (bob's weight 2
		// as two rows), the result CSV names the funded projects.
		resp, body = bw.raw(t, "ann", "GET", "/api/v1/ballots/"+id+"/export/ballots.pb", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("pb export: %d %s", resp.StatusCode, body)
		}
		f, err := pabulib.Parse(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("pb export does not parse: %v\n%s", err, body)
		}
		if len(f.Votes) != 5 || f.Get("budget") != "100" || len(f.Projects) != 4 || f.Projects[0].Cost != 60 {
			t.Errorf("pb export: %+v", f)
		}
		resp, body = bw.raw(t, "ann", "GET", "/api/v1/ballots/"+id+"/export/result.csv", nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), "1,a,Server upgrade,3,1,funded") || !strings.Contains(string(body), "1,b,Translation sprint,2,,") {
			t.Errorf("result.csv: %d\n%s", resp.StatusCode, body)
		}
		resp, body = bw.raw(t, "ann", "GET", "/api/v1/ballots/"+id+"/export/ballots.csv", nil)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `bob,2,"[""a"",""b""]"`) {
			t.Errorf("ballots.csv: %d\n%s", resp.StatusCode, body)
		}
	})
}

// TestBudgetBallotFromProposals makes the projects of a budget ballot from
// proposals with costs, and refuses a proposal without one.
func TestBudgetBallotFromProposals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		var ids []int64
		for i, p := range []map[string]any{
			{"title": "Bike racks", "body": "Twelve racks by the station.", "cost": 4000},
			{"title": "Library hours", "body": "Open on Sundays.", "cost": 9000},
			{"title": "No cost given", "body": "Just an idea."},
		} {
			m := bw.expect(t, "ann", "POST", "/api/v1/communities/commons/proposals", p, 201, "")
			ids = append(ids, int64(m["id"].(float64)))
			if i < 2 && m["cost"] != float64(p["cost"].(int)) {
				t.Errorf("proposal cost %v", m["cost"])
			}
		}
		bw.expect(t, "ann", "POST", "/api/v1/communities/commons/proposals", map[string]any{"title": "T", "body": "B", "cost": 0}, 422, "cost")
		req := map[string]any{"title": "Neighbourhood fund", "method": "budget", "budget": 10000, "currency": "EUR", "closes_at": future()}
		req["proposals"] = ids
		bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", req, 422, "proposals")
		req["proposals"] = ids[:2]
		m := bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", req, 201, "")
		opts := m["options"].([]any)
		if len(opts) != 2 || opts[0].(map[string]any)["cost"] != 4000.0 || opts[1].(map[string]any)["description"] != "Open on Sundays." {
			t.Errorf("projects from proposals: %v", opts)
		}
	})
}

// TestBudgetPages checks the voting page (projects, costs, the running
// total without JavaScript, the rule's sentence) and the results page
// (funded projects, payers, greedy beside MES, the voter's share). Greedy
// would fund a and c (c is cheaper than b at equal votes): cat, who
// approves both, is the one voter it serves better.
func TestBudgetPages(t *testing.T) {
	st := storetest.SQLite(t)
	bw := newBallotWorld(t, st)
	bw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
	id := bw.createOpen(t, budgetBallot())
	bw.expect(t, "bob", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": []string{"a", "b"}}, 200, "")
	page := func(who, path string) string {
		t.Helper()
		resp, body := bw.raw(t, who, "GET", path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(body)
	}
	html := page("bob", "/ballots/"+id)
	for _, want := range []string{`data-cost="60" checked`, "Two new machines", "60\u00a0EUR", "Your ticked projects cost 100\u00a0EUR of the 100\u00a0EUR budget.",
		"everyone who votes gets an equal share of the budget", `id="budget-fill" width="100"`} {
		if !strings.Contains(html, want) {
			t.Errorf("voting page lacks %q", want)
		}
	}
	for _, v := range [][]any{{"cat", []string{"a", "c"}}, {"dan", []string{"c", "d"}}, {"eve", []string{}}} {
		bw.expect(t, v[0].(string), "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": v[1]}, 200, "")
	}
	bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
	html = page("ann", "/ballots/"+id+"/results")
	for _, want := range []string{"Funded projects", `id="budget-spent">80`, "Accessibility audit", "How your share was spent",
		"Your weight 1 went to bob", "Equal shares beside greedy", `id="prefer-mes">0`, `id="prefer-greedy">1`, `id="chart-budget"`, "Who paid for what"} {
		if !strings.Contains(html, want) {
			t.Errorf("results page lacks %q", want)
		}
	}
}

// TestProposalCost gives a proposal a cost, shows it on the proposal's
// page, and refuses a cost that is not a positive whole number.
func TestProposalCost(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	id := bw.expect(t, "ann", "POST", "/api/v1/communities/commons/proposals", map[string]any{"title": "Bike racks", "body": "By the station.", "cost": 4000}, 201, "")["id"]
	resp, body := bw.raw(t, "ann", "GET", fmt.Sprintf("/proposals/%v", id), nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Asks for 4\u202f000 currency units") {
		t.Errorf("proposal page: %d, cost missing", resp.StatusCode)
	}
	bw.expect(t, "ann", "POST", "/api/v1/communities/commons/proposals", map[string]any{"title": "T", "body": "B", "cost": -5}, 422, "cost")
}

// TestBudgetResultsWithoutQuorum: when the quorum fails nothing is funded,
// and the page shows no payments, share or comparison that would say
// otherwise.
func TestBudgetResultsWithoutQuorum(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	id := bw.createOpen(t, budgetBallot("quorum", "1/2"))
	bw.expect(t, "bob", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": []string{"a"}}, 200, "")
	bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
	res := bw.expect(t, "bob", "GET", "/api/v1/ballots/"+id+"/result", nil, 200, "")
	if fmt.Sprint(res["winners"]) != "[]" || res["spent"] != 0.0 || res["left"] != 100.0 || len(res["rounds"].([]any)) != 1 {
		t.Fatalf("result without quorum: %v", res)
	}
	resp, body := bw.raw(t, "bob", "GET", "/ballots/"+id+"/results", nil)
	html := string(body)
	if resp.StatusCode != 200 || !strings.Contains(html, "The quorum was not met: no project is funded") || !strings.Contains(html, "No project is funded.") {
		t.Errorf("results page without quorum: %d", resp.StatusCode)
	}
	for _, bad := range []string{"budget-share", "budget-compare", "Who paid for what"} {
		if strings.Contains(html, bad) {
			t.Errorf("results page without quorum shows %q", bad)
		}
	}
}
