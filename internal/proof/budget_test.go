package proof

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyBudgetProof seals each budget example and checks that Verify
// recomputes its result, and that edits to what the budget count reads
// (a cost, the budget, a rule, a recorded payment) fail the result check.
func TestVerifyBudgetProof(t *testing.T) {
	dir := examplesDir(t)
	for _, name := range []string{"06-budget-mes-add1", "07-budget-mes-compare", "08-budget-greedy"} {
		t.Run(name, func(t *testing.T) {
			doc, err := ParseDocument(readFile(t, filepath.Join(dir, name+".json")))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Tally(doc); err != nil {
				t.Fatal(err)
			}
			data, err := Seal(doc, testKey(1), testIssuedAt)
			if err != nil {
				t.Fatal(err)
			}
			if r := Verify(data, pub(testKey(1))); !r.OK {
				t.Fatalf("Verify: %+v", lastCheck(r))
			}
			edits := map[string]func(m map[string]any){
				"cost":   func(m map[string]any) { obj(arr(obj(m["ballot"]), "options")[2])["cost"] = json.Number("45") },
				"budget": func(m map[string]any) { obj(m["ballot"])["budget"] = json.Number("80") },
				"rule": func(m map[string]any) {
					b := obj(m["ballot"])
					if b["budget_rule"] == "greedy" {
						b["budget_rule"], b["completion"], b["exhaustive_stop"] = "mes", "none", true
					} else {
						b["budget_rule"] = "greedy"
						delete(b, "completion")
						delete(b, "exhaustive_stop")
						delete(b, "compare_with_greedy")
					}
				},
				"spent": func(m map[string]any) { obj(m["result"])["spent"] = json.Number("80") },
			}
			for what, fn := range edits {
				bad := resign(t, edit(t, data, fn), testKey(1))
				r := Verify(bad, pub(testKey(1)))
				if c := lastCheck(r); r.OK || c.Name != "result" {
					t.Errorf("edit %s: Verify = %+v, want the result check to fail", what, c)
				}
			}
		})
	}
}

// TestParseBudgetBallotErrors checks the budget fields of a ballot.
func TestParseBudgetBallotErrors(t *testing.T) {
	base := `{"ballot": {"method": "budget", "budget": 100, "options": [{"key": "a", "label": "A", "cost": 10}]},
	 "electorate": [{"voter": "v", "weight": 1}], "votes": [{"voter": "v", "choice": ["a"]}]}`
	if _, err := ParseDocument([]byte(base)); err != nil {
		t.Fatalf("base: %v", err)
	}
	tests := []struct{ name, from, to, want string }{
		{"cost 0", `"cost": 10`, `"cost": 0`, "ballot.options[0].cost: must be an integer ≥ 1"},
		{"missing cost", `, "cost": 10`, ``, "ballot.options[0].cost: missing"},
		{"missing budget", `"budget": 100, `, ``, "ballot.budget: missing"},
		{"negative budget", `"budget": 100`, `"budget": -1`, "ballot.budget: must be an integer ≥ 0"},
		{"unknown rule", `"budget": 100`, `"budget": 100, "budget_rule": "borda"`, "ballot.budget_rule: must be"},
		{"greedy with a completion", `"budget": 100`, `"budget": 100, "budget_rule": "greedy", "completion": "add1"`, "ballot.completion: only allowed for budget_rule mes"},
		{"cost on approval", `"method": "budget", "budget": 100`, `"method": "approval"`, "ballot.options[0].cost: only allowed for method budget"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDocument([]byte(strings.Replace(base, tc.from, tc.to, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseDocument error = %v, want %q", err, tc.want)
			}
		})
	}
}
