package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"koinon/internal/proof"
)

// runCmd runs the CLI in process and returns exit status, stdout, stderr.
func runCmd(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), env2(args, stdin, env, &out, &errOut))
	return code, out.String(), errOut.String()
}

func env2(args []string, stdin string, vars map[string]string, out, errOut *bytes.Buffer) env {
	return env{
		args:   args,
		getenv: func(k string) string { return vars[k] },
		stdin:  strings.NewReader(stdin),
		stdout: out,
		stderr: errOut,
	}
}

// examplesDir finds shared/spec/examples beside the repository root.
func examplesDir(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "spec", "examples"))
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("KOINON_REQUIRE_CONFORMANCE") == "1" {
			t.Fatalf("examples not found: %v", err)
		}
		t.Skipf("examples not found: %v", err)
	}
	return dir
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTallyExamples(t *testing.T) {
	dir := examplesDir(t)
	all, _ := filepath.Glob(filepath.Join(dir, "[0-9][0-9]-*.json"))
	var ins []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".expected.json") {
			ins = append(ins, f)
		}
	}
	if len(ins) != 8 {
		t.Fatalf("found %d example inputs, want 8", len(ins))
	}
	for _, in := range ins {
		t.Run(filepath.Base(in), func(t *testing.T) {
			code, out, errOut := runCmd(t, "", nil, "tally", in)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			exp, err := os.ReadFile(strings.TrimSuffix(in, ".json") + ".expected.json")
			if err != nil {
				t.Fatal(err)
			}
			want, err := proof.Canonicalize(exp)
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s.expected.json:\nwant %s\ngot  %s", filepath.Base(in), want, out)
			}
		})
	}
	// Standard input works the same.
	data, _ := os.ReadFile(ins[0])
	if code, out, _ := runCmd(t, string(data), nil, "tally", "-"); code != 0 || !strings.HasPrefix(out, `{"ballot":`) {
		t.Errorf("tally - : exit %d, output %.40s", code, out)
	}
}

func TestTallyExitCodes(t *testing.T) {
	good := `{"ballot": {"id": "b", "title": "T", "community": "c", "topic": null, "method": "majority",
	 "options": [{"key": "yes", "label": "Y"}, {"key": "no", "label": "N"}, {"key": "abstain", "label": "A"}],
	 "delegation": false, "secrecy": "public", "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2026-01-02T00:00:00Z"},
	 "electorate": [{"voter": "a", "weight": 1, "delegates": []}, {"voter": "b", "weight": 1, "delegates": []}],
	 "votes": [{"voter": "b", "choice": "yes"}, {"voter": "a", "choice": "no"}]}`
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{"valid document", []string{"tally", "-"}, good, 0, ""},
		{"weight zero", []string{"tally", "-"}, strings.Replace(good, `"voter": "b", "weight": 1`, `"voter": "b", "weight": 0`, 1), 1,
			"koinon tally: -: electorate[1].weight: must be an integer ≥ 1\n"},
		{"unknown option", []string{"tally", "-"}, strings.Replace(good, `"choice": "no"`, `"choice": "x"`, 1), 1,
			"koinon tally: -: votes[1].choice: unknown option \"x\"\n"},
		{"duplicate voter", []string{"tally", "-"}, strings.Replace(good, `"voter": "a", "choice"`, `"voter": "b", "choice"`, 1), 1,
			"koinon tally: -: votes[1].voter: repeated voter \"b\" (also votes[0])\n"},
		{"not JSON", []string{"tally", "-"}, "{nope", 2, "koinon tally: -: not JSON"},
		{"missing file", []string{"tally", "/nonexistent/x.json"}, "", 2, "no such file"},
		{"no file", []string{"tally"}, "", 2, "usage"},
		{"unknown flag", []string{"tally", "-", "--frobnicate"}, good, 2, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.stdin, nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if !strings.Contains(errOut, tc.stderr) {
				t.Errorf("stderr %q, want it to contain %q", errOut, tc.stderr)
			}
			if tc.code != 0 && out != "" {
				t.Errorf("stdout %q on failure, want nothing", out)
			}
			if tc.code == 1 && strings.Count(errOut, "\n") != 1 {
				t.Errorf("stderr %q, want one line", errOut)
			}
		})
	}
}

const bltFile = `4 1
-4
3 1 2 0
2 2 1 0
2 3 2 0
1 3 0
1 0
0
"Ann"
"Bob"
"Cy"
"Dee"
"Test election"
`

func TestTallyBLT(t *testing.T) {
	path := writeFile(t, "e.blt", bltFile)
	tests := []struct {
		name     string
		args     []string
		method   string
		winners  []string
		tiebreak []string // nil: hash order, not checked
		choice0  string   // first vote's choice, canonical
	}{
		{"irv by default for one seat", []string{"tally", "--blt", path}, "irv", []string{"1"}, nil, `["1","2"]`},
		{"flags after the file", []string{"tally", path, "--blt", "--method", "plurality", "--tiebreak", "file"}, "plurality", []string{"3"}, []string{"3", "2", "1"}, `"1"`}, // 1 and 3 tie; the first-listed loses
		{"schulze singleton groups", []string{"tally", "--blt", "--method=schulze", path}, "schulze", []string{"2"}, nil, `[["1"],["2"]]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", nil, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var doc struct {
				Ballot struct {
					Method  string
					Options []struct{ Key, Label string }
				}
				Electorate []struct {
					Voter  string
					Weight int64
				}
				Votes []struct {
					Voter  string
					Choice json.RawMessage
				}
				Tiebreak []string
				Result   struct{ Winners []string }
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Ballot.Method != tc.method || len(doc.Ballot.Options) != 3 || doc.Ballot.Options[2].Label != "Cy" {
				t.Errorf("ballot: %+v (withdrawn Dee must be left out)", doc.Ballot)
			}
			if len(doc.Electorate) != 5 || doc.Electorate[0].Voter != "b000001" || doc.Electorate[0].Weight != 3 {
				t.Errorf("electorate: %+v", doc.Electorate)
			}
			if string(doc.Votes[0].Choice) != tc.choice0 {
				t.Errorf("first choice %s, want %s", doc.Votes[0].Choice, tc.choice0)
			}
			if strings.Join(doc.Result.Winners, ",") != strings.Join(tc.winners, ",") {
				t.Errorf("winners %v, want %v", doc.Result.Winners, tc.winners)
			}
			if tc.tiebreak != nil && strings.Join(doc.Tiebreak, ",") != strings.Join(tc.tiebreak, ",") {
				t.Errorf("tiebreak %v, want %v", doc.Tiebreak, tc.tiebreak)
			}
		})
	}
	if code, _, errOut := runCmd(t, "", nil, "tally", "--blt", path, "--method", "borda"); code != 2 || !strings.Contains(errOut, "--method") {
		t.Errorf("bad --method: exit %d, %s", code, errOut)
	}
	if code, _, _ := runCmd(t, "not a blt file", nil, "tally", "--blt", "-"); code != 2 {
		t.Errorf("bad BLT: exit %d, want 2", code)
	}
}

func TestKeyCommand(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"KOINON_DATA": dir}
	code, out, errOut := runCmd(t, "", vars, "key", "show")
	if code != 0 {
		t.Fatalf("key show: exit %d: %s", code, errOut)
	}
	var first struct {
		KeyID    string `json:"key_id"`
		Previous []any  `json:"previous"`
	}
	if err := json.Unmarshal([]byte(out), &first); err != nil || len(first.KeyID) != 16 {
		t.Fatalf("key show output %q: %v", out, err)
	}
	if strings.Contains(out, "seed") {
		t.Error("key show prints private material")
	}
	code, out, _ = runCmd(t, "", nil, "key", "rotate", "--data", dir)
	var second struct {
		KeyID    string `json:"key_id"`
		Previous []struct {
			KeyID string `json:"key_id"`
		} `json:"previous"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &second) != nil || second.KeyID == first.KeyID ||
		len(second.Previous) != 1 || second.Previous[0].KeyID != first.KeyID {
		t.Errorf("key rotate: exit %d, %s", code, out)
	}
	if code, _, _ := runCmd(t, "", vars, "key", "frob"); code != 2 {
		t.Errorf("key frob: exit %d, want 2", code)
	}
}

// TestTallyBLTTieLine: with --tiebreak file, a BLT file's "[tie …]" line
// decides ties (reversed: it lists the loser first, as Droop does), not the
// candidate order, and stderr names the order used. In bltFile candidates 1
// and 3 tie on plurality; the candidate order lets 3 win, this [tie] line 1.
func TestTallyBLTTieLine(t *testing.T) {
	withTie := strings.Replace(bltFile, "-4\n", "-4\n[tie 3 1 2 4]\n", 1)
	tests := []struct {
		name, file  string
		winner, tie string
		source      string
	}{
		{"candidate order without a [tie] line", bltFile, "3", "3,2,1", "reverse of the file's candidate order"},
		{"the [tie] line when present", withTie, "1", "2,1,3", "reverse of the file's [tie] line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "e.blt", tc.file)
			code, out, errOut := runCmd(t, "", nil, "tally", "--blt", path, "--method", "plurality", "--tiebreak", "file")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var doc struct {
				Tiebreak []string
				Result   struct{ Winners []string }
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(doc.Result.Winners, ","); got != tc.winner {
				t.Errorf("winners %s, want %s", got, tc.winner)
			}
			if got := strings.Join(doc.Tiebreak, ","); got != tc.tie {
				t.Errorf("tiebreak %s, want %s", got, tc.tie)
			}
			if want := "tie-break order: " + tc.source; !strings.Contains(errOut, want) {
				t.Errorf("stderr %q lacks %q", errOut, want)
			}
		})
	}
}
