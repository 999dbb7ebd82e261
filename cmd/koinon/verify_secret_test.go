package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// secretDocs wraps the records of internal/secret's test vectors in
// koinon-secret-tally/1 documents with the definitions they were made for.
func secretDocs(t *testing.T) map[string]map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "secret", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Elections []struct{ Record any } }
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	opts := []any{map[string]any{"key": "yes", "label": "Yes"}, map[string]any{"key": "no", "label": "No"}, map[string]any{"key": "abstain", "label": "Abstain"}}
	abc := []any{map[string]any{"key": "a", "label": "A"}, map[string]any{"key": "b", "label": "B"}, map[string]any{"key": "c", "label": "C"}}
	defs := []map[string]any{
		{"id": "ballot-7", "method": "majority", "options": opts},
		{"id": "ballot-7", "method": "approval", "options": abc, "max_approvals": 2},
		{"id": "ballot-7", "method": "schulze", "options": abc},
	}
	docs := map[string]map[string]any{}
	for k, def := range defs {
		docs[def["method"].(string)] = map[string]any{"format": "koinon-secret-tally/1", "ballot": def, "record": v.Elections[k].Record}
	}
	return docs
}

// setJSON replaces the value at a dotted path (object members and array
// indices) in a decoded JSON document, which it copies first.
func setJSON(t *testing.T, doc map[string]any, path string, v any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(doc)
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	var at any = c
	parts := strings.Split(path, ".")
	for k, p := range parts {
		last := k == len(parts)-1
		switch node := at.(type) {
		case map[string]any:
			if last {
				node[p] = v
			}
			at = node[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(node) {
				t.Fatalf("path %s: %s", path, p)
			}
			if last {
				node[i] = v
			}
			at = node[i]
		default:
			t.Fatalf("path %s: %s is not in an object or array", path, p)
		}
	}
	return c
}

func getJSON(t *testing.T, doc map[string]any, path string) any {
	t.Helper()
	var at any = doc
	for _, p := range strings.Split(path, ".") {
		if i, err := strconv.Atoi(p); err == nil {
			at = at.([]any)[i]
		} else {
			at = at.(map[string]any)[p]
		}
	}
	return at
}

const (
	pointG    = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76" // the generator
	scalarOne = "0100000000000000000000000000000000000000000000000000000000000000"
)

var secretCheckNames = []string{"encoding", "key generation", "ballot form", "voters and weights", "ciphertext uniqueness",
	"ballot validity proofs", "weighted aggregate", "decryption share proofs", "share combination", "counts"}

// passedUpTo is the output of checks 1..n−1 passing.
func passedUpTo(n int) string {
	var b strings.Builder
	for k := 1; k < n; k++ {
		b.WriteString(strconv.Itoa(k) + " ok " + secretCheckNames[k-1] + "\n")
	}
	return b.String()
}

func TestVerifySecretTally(t *testing.T) {
	docs := secretDocs(t)
	for method, counts := range map[string]string{
		"majority": `{"totals":{"abstain":0,"no":3,"yes":3}}`,
		"approval": `{"totals":{"a":2,"b":2,"c":0}}`,
		"schulze":  `{"pairwise":[[0,0,5],[1,0,5],[0,0,0]]}`,
	} {
		t.Run(method, func(t *testing.T) {
			data, _ := json.Marshal(docs[method])
			code, out, errOut := runCmd(t, string(data), nil, "verify", "-")
			want := passedUpTo(11) + "counts " + counts + "\nNOTE: "
			if code != 0 || !strings.HasPrefix(out, want) || strings.Contains(out, "WARNING") {
				t.Errorf("exit %d\nstdout:\n%s\nwant prefix:\n%s\nstderr: %s", code, out, want, errOut)
			}
		})
	}

	// Every single-field change fails at its numbered check, and the
	// checks before it pass.
	maj := docs["majority"]
	a0 := getJSON(t, maj, "record.cast.0.ballot.ciphertexts.0.a")
	v0 := getJSON(t, maj, "record.cast.0.voter")
	count0 := getJSON(t, maj, "record.counts.0").(float64)
	for _, tc := range []struct {
		name, path string
		value      any
		check      int
	}{
		{"point not canonical", "record.cast.0.ballot.ciphertexts.1.a", "0200000000000000000000000000000000000000000000000000000000000000", 1},
		{"aggregate point missing", "record.aggregate.0.a", nil, 1},
		{"joint key", "record.key_generation.key", pointG, 2},
		{"key-generation commitment", "record.key_generation.commitments.0.coefficients.0", pointG, 2},
		{"qualified set", "record.key_generation.qualified", []int{1, 2}, 2},
		{"form in the record", "record.form.sums.0.hi", 2, 3},
		{"method of the definition", "ballot.method", "plurality", 0}, // same form: passes
		{"method refused for secret ballots", "ballot.method", "irv", 3},
		{"ballot id", "ballot.id", "ballot-8", 3},
		{"weight zero", "record.cast.2.weight", 0, 4},
		{"voter twice", "record.cast.1.voter", v0, 4},
		{"replayed ciphertext", "record.cast.1.ballot.ciphertexts.2.a", a0, 5},
		{"ciphertext", "record.cast.1.ballot.ciphertexts.0.b", pointG, 6},
		{"0/1 proof response", "record.cast.2.ballot.bit_proofs.1.v.0", scalarOne, 6},
		{"sum proof commitment", "record.cast.0.ballot.sum_proofs.0.commitments.1", pointG, 6},
		{"weight", "record.cast.1.weight", 4, 7},
		{"aggregate", "record.aggregate.2.b", pointG, 7},
		{"decryption share", "record.shares.0.parts.0", pointG, 8},
		{"decryption proof", "record.shares.1.proofs.0.v", scalarOne, 8},
		{"share of trustee 2 instead of 3", "record.shares.1.trustee", 2, 8},
		{"count", "record.counts.0", count0 + 1, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, _ := json.Marshal(setJSON(t, maj, tc.path, tc.value))
			code, out, errOut := runCmd(t, "", nil, "verify", writeFile(t, "secret.json", string(data)))
			want, wantCode := passedUpTo(11), 0
			if tc.check > 0 {
				want, wantCode = passedUpTo(tc.check)+strconv.Itoa(tc.check)+" FAIL "+secretCheckNames[tc.check-1]+": ", 1
			}
			if code != wantCode || !strings.HasPrefix(out, want) {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nwant prefix:\n%s\nstderr: %s", code, wantCode, out, want, errOut)
			}
		})
	}

	// Not a document at all: exit 2, nothing checked.
	good, _ := json.Marshal(maj)
	for name, tc := range map[string]struct {
		stdin string
		args  []string
	}{
		"not JSON":      {`{"format":"koinon-secret-tally/1",`, nil},
		"no record":     {`{"format":"koinon-secret-tally/1","ballot":{}}`, nil},
		"a key given":   {string(good), []string{"--key", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}},
		"record a list": {`{"format":"koinon-secret-tally/1","ballot":{},"record":[]}`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.stdin, nil, append([]string{"verify", "-"}, tc.args...)...)
			if code != 2 || out != "" || errOut == "" {
				t.Errorf("exit %d, want 2\nstdout:\n%s\nstderr: %s", code, out, errOut)
			}
		})
	}
}
