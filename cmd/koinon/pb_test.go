package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"koinon/internal/keyring"
	"koinon/internal/proof"
)

func TestTallyPB(t *testing.T) {
	dir := filepath.Join(examplesDir(t), "..", "..", "conformance", "budget", "assen-2024")
	pb := filepath.Join(dir, "assen-2024.pb")
	var want struct {
		Selected []string `json:"selected_set"`
		Spent    int64    `json:"spent"`
		Also     []string `json:"with_add1_greedy_also"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args  []string
		want  []string
		spent int64
	}{
		{[]string{"--tiebreak", "file"}, want.Selected, want.Spent},
		{[]string{"--exhaustive-stop=false"}, want.Selected, want.Spent},
		{[]string{"--completion", "add1+greedy"}, append(slices.Clone(want.Selected), want.Also...), want.Spent + 12000},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(t, "", nil, append([]string{"tally", "--pb", pb}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var doc struct {
				Ballot struct {
					Budget int64 `json:"budget"`
				} `json:"ballot"`
				Result struct {
					Winners []string `json:"winners"`
					Spent   int64    `json:"spent"`
				} `json:"result"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			got := slices.Sorted(slices.Values(doc.Result.Winners))
			if !slices.Equal(got, slices.Sorted(slices.Values(tc.want))) || doc.Result.Spent != tc.spent || doc.Ballot.Budget != 100000 {
				t.Errorf("funded %v for %d, want %v for %d", doc.Result.Winners, doc.Result.Spent, tc.want, tc.spent)
			}
		})
	}
	// The printed document is a tally input again: recounting it changes nothing.
	_, out, _ := runCmd(t, "", nil, "tally", "--pb", pb)
	if code, again, errOut := runCmd(t, out, nil, "tally", "-"); code != 0 || again != out {
		t.Errorf("recount of the printed document: exit %d %s", code, errOut)
	}
}

func TestTallyPBErrors(t *testing.T) {
	good := "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost;name\n1;60;A\nVOTES\nvoter_id;vote\nv1;1\n"
	tests := []struct{ name, file, flag, stderr string }{
		{"ordinal file", strings.Replace(good, "approval", "ordinal", 1), "", `vote_type "ordinal" is not supported`},
		{"bad rule", good, "--rule=borda", "--rule: want mes or greedy"},
		{"bad completion", good, "--completion=add2", "--completion: want add1, add1+greedy or none"},
		{"project id that is no key", strings.Replace(strings.Replace(good, "1;60;A", "P1;60;A", 1), "v1;1", "v1;P1", 1), "", `project id "P1" is not an option key`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"tally", "--pb", writeFile(t, "f.pb", tc.file)}
			if tc.flag != "" {
				args = append(args, tc.flag)
			}
			code, _, errOut := runCmd(t, "", nil, args...)
			if code != 2 || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.stderr)
			}
		})
	}
}

// TestVerifyBudgetProof seals a count of the Assen file and checks that
// `koinon verify` recomputes its result, and fails on an edited cost
// (re-signed, so that only the recount can catch it).
func TestVerifyBudgetProof(t *testing.T) {
	dir := filepath.Join(examplesDir(t), "..", "..", "conformance", "budget", "assen-2024")
	code, out, errOut := runCmd(t, "", nil, "tally", "--pb", filepath.Join(dir, "assen-2024.pb"))
	if code != 0 {
		t.Fatalf("tally: %s", errOut)
	}
	k, err := keyring.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	seal := func(doc string) string {
		d, err := proof.ParseDocument([]byte(doc)) // keeps votes_root, tiebreak and result as written
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := proof.Seal(d, k.Signer(), time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		return writeFile(t, "proof.json", string(sealed))
	}
	good := seal(out)
	if code, stdout, _ := runCmd(t, "", nil, "verify", good); code != 0 || !strings.Contains(stdout, "5 ok result") {
		t.Errorf("verify budget proof: exit %d\n%s", code, stdout)
	}
	edited := seal(strings.Replace(out, `{"cost":7200,"key":"3"`, `{"cost":72000,"key":"3"`, 1))
	if code, stdout, _ := runCmd(t, "", nil, "verify", edited); code != 1 || !strings.Contains(stdout, "5 FAIL result") {
		t.Errorf("verify with an edited cost: exit %d\n%s", code, stdout)
	}
}
