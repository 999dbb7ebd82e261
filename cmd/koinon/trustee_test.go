package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/secret"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/tally"
)

// secretWorld is clientWorld with three trustees (tara, tom, tim), who
// are members too, and fay, who delegates.
type secretWorld struct {
	*clientWorld
	id string // the secret ballot's id
}

var trusteeHandles = []string{"tara", "tom", "tim"}

func newSecretWorld(t *testing.T, st *sqlstore.Store) *secretWorld {
	t.Helper()
	sw := &secretWorld{clientWorld: newClientWorld(t, st)}
	sw.w.Member(sw.c.ID, domain.RoleMember, 1, append(slices.Clone(trusteeHandles), "fay")...)
	for _, h := range append(slices.Clone(trusteeHandles), "fay") {
		if code, out, errs := runCmd(t, "", nil, "trustee", "keygen", "--out", sw.keyFile(h)); code != 0 {
			t.Fatalf("trustee keygen %s: %d %s %s", h, code, out, errs)
		}
	}
	return sw
}

// api calls the HTTP API as handle and decodes the JSON answer.
func (sw *secretWorld) api(t *testing.T, handle, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, sw.ts.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	if handle != "" {
		c := sw.w.Citizen(handle)
		tok, _, err := sw.tokens.Issue(c.ID, c.Handle, c.TokenVersion)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var m map[string]any
	json.Unmarshal(data, &m)
	if m == nil {
		m = map[string]any{"raw": string(data)}
	}
	return res.StatusCode, m
}

// trustee runs `koinon trustee CMD` for handle on the ballot.
func (sw *secretWorld) trustee(t *testing.T, handle, cmd string) (int, string) {
	t.Helper()
	c := sw.w.Citizen(handle)
	tok, _, err := sw.tokens.Issue(c.ID, c.Handle, c.TokenVersion)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "", map[string]string{"KOINON_SERVER": sw.ts.URL, "KOINON_TOKEN": tok},
		"trustee", cmd, "--key", sw.keyFile(handle), "--ballot", sw.id)
	return code, out + errs
}

// create makes the secret ballot as the board: 3 trustees, threshold 2.
func (sw *secretWorld) create(t *testing.T, method string, options []string) {
	t.Helper()
	body := map[string]any{"title": "Secret " + method, "method": method, "secrecy": "secret", "trustees": trusteeHandles,
		"trustee_threshold": 2, "closes_at": time.Now().UTC().Add(time.Hour).Format(time.RFC3339)}
	if options != nil {
		body["options"] = options
	}
	code, m := sw.api(t, "board", "POST", "/api/v1/communities/commons/ballots", body)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, m)
	}
	sw.id = strconv.FormatInt(int64(m["id"].(float64)), 10)
}

// keyGeneration runs `koinon trustee join` for each trustee in turn until
// every one says the joint key is complete (0); 3 means waiting.
func (sw *secretWorld) keyGeneration(t *testing.T) {
	t.Helper()
	for round := 0; ; round++ {
		done := 0
		for _, h := range trusteeHandles {
			code, out := sw.trustee(t, h, "join")
			switch code {
			case 0:
				done++
			case 3:
			default:
				t.Fatalf("trustee join %s: %d %s", h, code, out)
			}
		}
		if done == len(trusteeHandles) {
			return
		}
		if round > 5 {
			t.Fatal("the key generation does not finish")
		}
	}
}

// TestSecretBallotEndToEnd runs a secret ballot of each method through the
// real HTTP API and the command-line client only: three trustees make the
// joint key (threshold 2), citizens vote with device keys (encrypting on
// the device) and delegate, the board closes, two trustees decrypt while
// the third stays away, and the sealed result equals the count of the
// plaintext choices this test made, recounted in public; `koinon verify`
// passes all ten checks on the proof the server published.
func TestSecretBallotEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		method  string
		options []string
		// choices by voter, in the public form (tally.md §4)
		choices map[string]string
	}{
		{"majority", nil, map[string]string{"bob": `"yes"`, "cat": `"no"`, "dan": `"yes"`, "eve": `"abstain"`}},
		{"plurality", []string{"red", "green", "blue"}, map[string]string{"bob": `"green"`, "cat": `"red"`, "dan": `"green"`, "eve": `"blue"`}},
		{"approval", []string{"red", "green", "blue"}, map[string]string{"bob": `["red","green"]`, "cat": `[]`, "dan": `["blue"]`, "eve": `["green","blue","red"]`}},
		{"schulze", []string{"red", "green", "blue", "gold"}, map[string]string{"bob": `[["green"],["red","blue"]]`, "cat": `[["red"],["gold"],["green"],["blue"]]`,
			"dan": `[["blue"],["green"]]`, "eve": `[["gold","red"]]`}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
				sw := newSecretWorld(t, st)
				sw.create(t, tc.method, tc.options)
				if code, m := sw.api(t, "board", "POST", "/api/v1/ballots/"+sw.id+"/open", nil); code != http.StatusConflict {
					t.Fatalf("open before the key: %d %v, want 409", code, m)
				}
				sw.keyGeneration(t)
				if code, m := sw.api(t, "board", "POST", "/api/v1/ballots/"+sw.id+"/open", nil); code != http.StatusOK {
					t.Fatalf("open: %d %v", code, m)
				}
				// ann delegates to bob, fay to ann (the chain ends at bob);
				// cat delegates to dan but votes herself, which overrides.
				sw.must(t, "ann", "delegate", "--community", "commons", "--delegates", "bob")
				sw.must(t, "fay", "delegate", "--community", "commons", "--delegates", "ann")
				sw.must(t, "cat", "delegate", "--community", "commons", "--delegates", "dan")
				for _, v := range slices.Sorted(mapsKeys(tc.choices)) {
					sw.must(t, v, "vote", "--ballot", sw.id, "--choice", tc.choices[v])
				}
				if code, out := sw.trustee(t, "tara", "decrypt"); code != 3 {
					t.Fatalf("decrypt before the close: %d %s, want 3", code, out)
				}
				code, m := sw.api(t, "board", "POST", "/api/v1/ballots/"+sw.id+"/close", nil)
				if code != http.StatusOK || m["state"] != "tallying" {
					t.Fatalf("close: %d %v, want tallying", code, m)
				}
				sec := m["secret"].(map[string]any)
				if got := sec["missing"]; !reflect.DeepEqual(got, []any{"tara", "tom", "tim"}) || sec["shares_needed"] != float64(2) {
					t.Errorf("tallying: missing %v, shares_needed %v", got, sec["shares_needed"])
				}
				if code, out := sw.trustee(t, "tara", "decrypt"); code != 0 {
					t.Fatalf("tara decrypt: %d %s", code, out)
				}
				_, m = sw.api(t, "", "GET", "/api/v1/ballots/"+sw.id, nil)
				if m["state"] != "tallying" || !reflect.DeepEqual(m["secret"].(map[string]any)["missing"], []any{"tom", "tim"}) {
					t.Fatalf("one share of two: %v", m)
				}
				if code, out := sw.trustee(t, "tara", "decrypt"); code != 0 {
					t.Errorf("tara decrypt again (idempotent): %d %s", code, out)
				}
				if code, out := sw.trustee(t, "tim", "decrypt"); code != 0 {
					t.Fatalf("tim decrypt: %d %s", code, out)
				}
				_, m = sw.api(t, "", "GET", "/api/v1/ballots/"+sw.id, nil)
				if m["state"] != "closed" {
					t.Fatalf("after two shares: %v", m)
				}
				raw := sw.download(t, "/api/v1/ballots/"+sw.id+"/proof")
				checkRecount(t, tc.method, raw, tc.choices)
				name := filepath.Join(sw.dir, "secret-proof.json")
				os.WriteFile(name, raw, 0o644)
				if code, out, errs := runCmd(t, "", nil, "verify", name); code != 0 || !strings.Contains(out, "10 ok") {
					t.Errorf("koinon verify: %d\n%s%s", code, out, errs)
				}
			})
		})
	}
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (sw *secretWorld) download(t *testing.T, path string) []byte {
	t.Helper()
	res, err := http.Get(sw.ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	return b
}

// checkRecount counts the plaintext choices with the public engine, on
// the electorate (and delegation graph) the proof publishes, and compares
// with the server's sealed result.
func checkRecount(t *testing.T, method string, raw []byte, choices map[string]string) {
	t.Helper()
	var doc struct {
		Definition proof.Ballot    `json:"definition"`
		Electorate []tally.Entry   `json:"electorate"`
		Tiebreak   []string        `json:"tiebreak"`
		Result     json.RawMessage `json:"result"`
		Record     secret.Record   `json:"record"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	thr, _ := tally.ParseRational(doc.Definition.Threshold)
	quo, _ := tally.ParseRational(doc.Definition.Quorum)
	in := tally.Input{Ballot: tally.Ballot{Method: method, Options: doc.Definition.Options, Seats: doc.Definition.Seats, Threshold: thr,
		Strict: doc.Definition.Strict, Quorum: quo, Delegation: doc.Definition.Delegation}, Electorate: doc.Electorate, Tiebreak: doc.Tiebreak}
	for _, v := range slices.Sorted(mapsKeys(choices)) {
		c, err := tally.DecodeChoice(method, []byte(choices[v]))
		if err != nil {
			t.Fatal(err)
		}
		in.Votes = append(in.Votes, tally.Vote{Voter: v, Choice: c})
	}
	want, err := tally.Count(in)
	if err != nil {
		t.Fatal(err)
	}
	var got tally.Result
	if err := json.Unmarshal(doc.Result, &got); err != nil {
		t.Fatal(err)
	}
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if !bytes.Equal(wj, gj) {
		t.Errorf("sealed result differs from the recount of the plaintext choices:\nrecount %s\nserver  %s", wj, gj)
	}
	// bob carries ann and fay; cat's own vote overrides her delegation.
	weights := map[string]int64{}
	for _, c := range doc.Record.Cast {
		weights[c.Voter] = c.Weight
	}
	if want := map[string]int64{"bob": 3, "cat": 1, "dan": 1, "eve": 1}; !reflect.DeepEqual(want, weights) {
		t.Errorf("cast weights %v, want %v", weights, want)
	}
}
