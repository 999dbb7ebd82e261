package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/secret"
	"koinon/internal/statement"
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
func (sw *secretWorld) create(t *testing.T, method string, options any) {
	t.Helper()
	body := map[string]any{"title": "Secret " + method, "method": method, "secrecy": "secret", "trustees": trusteeHandles,
		"trustee_threshold": 2, "closes_at": time.Now().UTC().Add(time.Hour).Format(time.RFC3339)}
	if options != nil && !reflect.ValueOf(options).IsNil() {
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
				raw := sw.run(t, tc.method, tc.options, tc.choices)
				checkRecount(t, tc.method, raw, tc.choices)
				name := filepath.Join(sw.dir, "secret-proof.json")
				os.WriteFile(name, raw, 0o644)
				if code, out, errs := runCmd(t, "", nil, "verify", name); code != 0 || !strings.Contains(out, "11 ok weights and result") {
					t.Errorf("koinon verify: %d\n%s%s", code, out, errs)
				}
			})
		})
	}
}

// run plays a secret ballot through the API and the command line: the
// board creates it, the trustees make the key (open before that is 409),
// ann delegates to bob and fay to ann, cat delegates to dan but votes
// herself, the voters vote (encrypting on their devices), the board
// closes, tara and tim decrypt (tom stays away). It returns the proof.
func (sw *secretWorld) run(t *testing.T, method string, options any, choices map[string]string) []byte {
	t.Helper()
	sw.create(t, method, options)
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
	for _, v := range slices.Sorted(mapsKeys(choices)) {
		sw.must(t, v, "vote", "--ballot", sw.id, "--choice", choices[v])
	}
	if code, out := sw.trustee(t, "tara", "decrypt"); code != 3 {
		t.Fatalf("decrypt before the close: %d %s, want 3", code, out)
	}
	code, m := sw.api(t, "board", "POST", "/api/v1/ballots/"+sw.id+"/close", nil)
	if code != http.StatusOK || m["state"] != "tallying" {
		t.Fatalf("close: %d %v, want tallying", code, m)
	}
	var asked int64
	storetest.DB(t, sw.st).Raw("SELECT COUNT(*) FROM notifications WHERE kind = 'decryption_share' AND link = ?", "/ballots/"+sw.id).Scan(&asked)
	if asked != 3 {
		t.Errorf("%d trustees were asked for their decryption share, want 3", asked)
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
	// The ballot page says who is missing, in English and German.
	for lang, want := range map[string]string{"en": "Still needed: 1 more decryption share(s). Not yet sent by: tom, tim.",
		"de": "Es fehlen noch 1 Entschlüsselungsanteil(e). Noch nicht gesendet von: tom, tim."} {
		req, _ := http.NewRequest("GET", sw.ts.URL+"/ballots/"+sw.id, nil)
		req.AddCookie(&http.Cookie{Name: "lang", Value: lang})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(page), want) {
			t.Errorf("the %s ballot page while tallying does not say %q", lang, want)
		}
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
	return raw
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
		Definition proof.SecretTerms `json:"definition"`
		Electorate []tally.Entry     `json:"electorate"`
		Tiebreak   []string          `json:"tiebreak"`
		Result     json.RawMessage   `json:"result"`
		Record     secret.Record     `json:"record"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	in := tally.Input{Ballot: doc.Definition.TallyBallot(), Electorate: doc.Electorate, Tiebreak: doc.Tiebreak}
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

// signer signs and submits statements as handle with its key file, as
// koinon client does, for the refusal tests.
func (sw *secretWorld) signer(t *testing.T, handle string) *koinonClient {
	t.Helper()
	c := sw.w.Citizen(handle)
	tok, _, err := sw.tokens.Issue(c.ID, c.Handle, c.TokenVersion)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := openClient(sw.ts.URL, tok, sw.keyFile(handle))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// send signs content as a statement of kind on the ballot and submits it;
// it returns the refusal (nil when accepted).
func (sw *secretWorld) send(t *testing.T, handle string, kind statement.Kind, content any) error {
	t.Helper()
	cl := sw.signer(t, handle)
	env, err := cl.sign(context.Background(), "commons", kind, statement.BallotScope(sw.id), content)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.submit(context.Background(), "commons", env, nil)
	return err
}

// wantRefused checks a 422 (or the given status) whose message has want.
func wantRefused(t *testing.T, what string, err error, status int, want string) {
	t.Helper()
	var r *refusedError
	if !errors.As(err, &r) || r.Status != status || !strings.Contains(r.Message, want) {
		t.Errorf("%s: %v, want %d %q", what, err, status, want)
	}
}

// TestSecretBallotRefusals: bad input to a secret ballot is refused with a
// 422 (409 for the wrong state) naming the problem, and nothing is
// written: the ballot's state, trustee steps and votes are unchanged.
func TestSecretBallotRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		sw := newSecretWorld(t, st)
		closes := time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
			want  string
		}{
			{"irv needs a shuffle", map[string]any{"method": "irv", "options": []string{"a", "b"}, "trustees": []string{"tara"}, "trustee_threshold": 1},
				"method", "verifiable shuffle"},
			{"stv needs a shuffle", map[string]any{"method": "stv", "options": []string{"a", "b"}, "trustees": []string{"tara"}, "trustee_threshold": 1},
				"method", "use schulze"},
			{"no trustees", map[string]any{"method": "majority"}, "trustees", "needs trustees"},
			{"a trustee who is no member", map[string]any{"method": "majority", "trustees": []string{"tara", "out"}, "trustee_threshold": 1},
				"trustees", `"out" is not a member`},
			{"threshold above the trustees", map[string]any{"method": "majority", "trustees": trusteeHandles, "trustee_threshold": 4},
				"trustee_threshold", "from 1 to"},
			{"threshold 0", map[string]any{"method": "majority", "trustees": trusteeHandles}, "trustee_threshold", "from 1 to"},
			{"trustees on a public ballot", map[string]any{"method": "majority", "secrecy": "public", "trustees": trusteeHandles, "trustee_threshold": 2},
				"trustees", "only a secret ballot"},
		} {
			tc.body["title"], tc.body["closes_at"] = "Refused", closes
			if _, ok := tc.body["secrecy"]; !ok {
				tc.body["secrecy"] = "secret"
			}
			code, m := sw.api(t, "board", "POST", "/api/v1/communities/commons/ballots", tc.body)
			e, _ := m["error"].(map[string]any)
			if msg, _ := e["message"].(string); code != http.StatusUnprocessableEntity || !strings.HasPrefix(msg, tc.field+":") || !strings.Contains(msg, tc.want) {
				t.Errorf("%s: %d %v, want 422 on %s with %q", tc.name, code, m, tc.field, tc.want)
			}
		}

		sw.create(t, "majority", nil)
		if code, out := sw.trustee(t, "tara", "join"); code != 3 {
			t.Fatalf("tara join: %d %s", code, out)
		}
		// tara acts twice, and out of turn (a deal before every box key).
		wantRefused(t, "key twice", sw.send(t, "tara", statement.TrusteeKey, secret.KeyStep{BoxKey: make([]byte, 32)}), 422, "already took this step")
		wantRefused(t, "deal out of turn", sw.send(t, "tara", statement.TrusteeDeal, map[string]any{"commitment": map[string]any{}, "shares": []any{}}),
			422, "out of turn: waiting for every trustee's box key (1 of 3)")
		wantRefused(t, "not a trustee", sw.send(t, "fay", statement.TrusteeKey, secret.KeyStep{BoxKey: make([]byte, 32)}), 403, "not a trustee")
		wantRefused(t, "decrypt before the close", sw.send(t, "tara", statement.TrusteeDecrypt, map[string]any{"share": map[string]any{}}), 409, "closed")
		sw.keyGeneration(t)
		if code, m := sw.api(t, "board", "POST", "/api/v1/ballots/"+sw.id+"/open", nil); code != http.StatusOK {
			t.Fatalf("open: %d %v", code, m)
		}
		wantRefused(t, "a deal after the key is complete", sw.send(t, "tom", statement.TrusteeKey, secret.KeyStep{BoxKey: make([]byte, 32)}), 422, "over")
		cl := sw.signer(t, "bob")
		env, err := cl.sign(context.Background(), "commons", statement.Vote, statement.BallotScope(sw.id), statement.VoteContent{Choice: json.RawMessage(`"yes"`)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.submit(context.Background(), "commons", env, make([]byte, 32))
		wantRefused(t, "a plaintext vote", err, 422, "is secret: signed statements are for public ballots")
		if code, m := sw.api(t, "bob", "PUT", "/api/v1/ballots/"+sw.id+"/vote", map[string]any{"choice": "yes"}); code != 422 {
			t.Errorf("a plaintext choice through the API: %d %v, want 422", code, m)
		}

		// Encrypted ballots: made with the real key by the test, then spoilt.
		var tr transcript
		if err := sw.signer(t, "bob").do(context.Background(), "GET", "/api/v1/ballots/"+sw.id+"/secret", nil, &tr); err != nil {
			t.Fatal(err)
		}
		yes := 0
		prepare := func(voter string, seed byte) secret.Ballot {
			v := secret.Voting{Ballot: tr.Ballot, Key: *tr.Key, Voter: voter}
			b, _, err := v.Prepare(mrand.NewChaCha8([32]byte{seed}), secret.Choice{Option: &yes})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		cast := func(handle string, b any) error {
			raw, _ := json.Marshal(b)
			return sw.send(t, handle, statement.SecretVote, statement.SecretVoteContent{Ballot: raw})
		}
		asMap := func(b secret.Ballot) map[string]any {
			raw, _ := json.Marshal(b)
			var m map[string]any
			json.Unmarshal(raw, &m)
			return m
		}
		bad := asMap(prepare("bob", 1))
		bad["bit_proofs"].([]any)[0].(map[string]any)["v"].([]any)[0] = strings.Repeat("01", 32)
		wantRefused(t, "a proof that does not verify", cast("bob", bad), 422, "ballot: ciphertext 0: 0/1 proof: proof does not verify")
		off := asMap(prepare("bob", 1))
		off["ciphertexts"].([]any)[1].(map[string]any)["a"] = strings.Repeat("ff", 32)
		wantRefused(t, "a point not on the curve", cast("bob", off), 422, "ballot: ")
		other := asMap(prepare("bob", 1))
		other["ciphertexts"] = other["ciphertexts"].([]any)[:2]
		wantRefused(t, "a ballot of another shape", cast("bob", other), 422, "ballot: ")
		wantRefused(t, "another voter's ballot (bound to bob)", cast("cat", prepare("bob", 2)), 422, "proof does not verify")
		if err := cast("bob", prepare("bob", 3)); err != nil {
			t.Fatalf("bob's good ballot: %v", err)
		}
		// The same ciphertexts (same randomness), proved anew for cat: a replay.
		wantRefused(t, "a replayed ciphertext", cast("cat", prepare("cat", 3)), 422, "already cast by another voter")
		// eve casts and withdraws (a signed vote_withdraw in the log).
		if err := cast("eve", prepare("eve", 4)); err != nil {
			t.Fatalf("eve's ballot: %v", err)
		}
		if err := sw.send(t, "eve", statement.VoteWithdraw, struct{}{}); err != nil {
			t.Fatalf("eve withdraws: %v", err)
		}
		_, m := sw.api(t, "", "GET", "/api/v1/ballots/"+sw.id, nil)
		if p := m["participation"].(map[string]any); p["votes"] != float64(1) {
			t.Errorf("after the refusals: %v votes, want 1 (bob's)", p["votes"])
		}

		if code, m := sw.api(t, "board", "POST", "/api/v1/ballots/"+sw.id+"/close", nil); code != 200 || m["state"] != "tallying" {
			t.Fatalf("close: %d %v", code, m)
		}
		// A share with a bad proof (tom's parts sent as tara's), then twice.
		if err := sw.signer(t, "bob").do(context.Background(), "GET", "/api/v1/ballots/"+sw.id+"/secret", nil, &tr); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, "a share with a bad proof", sw.send(t, "tara", statement.TrusteeDecrypt, secret.DecryptStep{Share: secret.DecryptionShare{
			Trustee: 1, Parts: []secret.Point{*tr.Key, *tr.Key, *tr.Key},
			Proofs: make([]secret.DLEQProof, 3)}}), 422, "decrypt: share: trustee 1: ")
		if code, out := sw.trustee(t, "tara", "decrypt"); code != 0 {
			t.Fatalf("tara decrypt: %d %s", code, out)
		}
		if err := sw.signer(t, "bob").do(context.Background(), "GET", "/api/v1/ballots/"+sw.id+"/secret", nil, &tr); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, "a share twice", sw.send(t, "tara", statement.TrusteeDecrypt, json.RawMessage(tr.Trustees[0].Steps["decrypt"])), 422, "already took this step")
		_, m = sw.api(t, "", "GET", "/api/v1/ballots/"+sw.id, nil)
		if m["state"] != "tallying" || m["result"] != nil {
			t.Errorf("one share of two decrypts nothing: %v", m)
		}
	})
}

// recorder keeps every response body the server sends.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	seen []string // "METHOD PATH STATUS\nbody"
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rw := &recordingWriter{ResponseWriter: w, status: 200}
	r.next.ServeHTTP(rw, req)
	r.mu.Lock()
	r.seen = append(r.seen, req.Method+" "+req.URL.Path+" "+strconv.Itoa(rw.status)+"\n"+rw.body.String())
	r.mu.Unlock()
}

type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *recordingWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }
func (w *recordingWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

// dumpTables returns every row of every table of the store's database as
// text, one line per row, prefixed with the table's name.
func dumpTables(t *testing.T, st *sqlstore.Store) []string {
	t.Helper()
	db := storetest.DB(t, st)
	var tables []string
	q := "SELECT name FROM sqlite_schema WHERE type = 'table'"
	if db.Dialector.Name() == "postgres" {
		q = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
	}
	if err := db.Raw(q).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range tables {
		rows, err := db.Raw(`SELECT * FROM "` + tb + `"`).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			line := tb + ":"
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				line += " " + fmt.Sprint(v)
			}
			out = append(out, line)
		}
		rows.Close()
	}
	return out
}

// TestSecretBallotLeaksNoChoice plays a secret ballot with option keys
// that appear nowhere else, and then looks everywhere a choice could leak
// to: every row of every table of the database, the server's log, the
// community log's entries (a table) and every API response, during and
// after the ballot. No option key may appear outside the ballot's
// definition and, once decrypted, its sums; nothing may carry a ballot's
// opening (the randomness that would decrypt one voter's ciphertexts).
// The checker finds the keys where they must be, so it is not blind.
func TestSecretBallotLeaksNoChoice(t *testing.T) {
	keys := []string{"optkiwi7", "optmango7", "optpapaya7"}
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		sw := newSecretWorld(t, st)
		rec := &recorder{next: sw.ts.Config.Handler}
		sw.ts.Config.Handler = rec
		sw.create(t, "plurality", []map[string]string{{"key": keys[0], "label": "Kiwi"}, {"key": keys[1], "label": "Mango"}, {"key": keys[2], "label": "Papaya"}})
		sw.keyGeneration(t)
		if code, m := sw.api(t, "board", "POST", "/api/v1/ballots/"+sw.id+"/open", nil); code != http.StatusOK {
			t.Fatalf("open: %d %v", code, m)
		}
		sw.must(t, "ann", "delegate", "--community", "commons", "--delegates", "bob")
		choices := map[string]string{"bob": keys[0], "cat": keys[1], "dan": keys[0], "eve": keys[2]}
		for _, v := range slices.Sorted(mapsKeys(choices)) {
			sw.must(t, v, "vote", "--ballot", sw.id, "--choice", strconv.Quote(choices[v]))
			sw.api(t, v, "GET", "/api/v1/ballots/"+sw.id+"/vote", nil)
		}
		sw.api(t, "bob", "GET", "/api/v1/communities/commons/statements", nil)
		sw.api(t, "", "GET", "/api/v1/ballots/"+sw.id+"/log", nil)
		sw.api(t, "ann", "GET", "/api/v1/delegations?community=commons", nil)
		sw.api(t, "board", "POST", "/api/v1/ballots/"+sw.id+"/close", nil)
		for _, h := range []string{"tara", "tom"} {
			if code, out := sw.trustee(t, h, "decrypt"); code != 0 {
				t.Fatalf("%s decrypt: %d %s", h, code, out)
			}
		}
		sw.api(t, "", "GET", "/api/v1/ballots/"+sw.id+"/result", nil)
		sw.download(t, "/api/v1/ballots/"+sw.id+"/proof")
		for _, path := range []string{"/ballots/" + sw.id, "/ballots/" + sw.id + "/results", "/ballots/" + sw.id + "/audit",
			"/api/v1/ballots/" + sw.id + "/export/result.csv", "/api/v1/ballots/" + sw.id + "/export/ballots.csv",
			"/api/v1/ballots/" + sw.id + "/export/ballots.blt", "/api/v1/ballots/" + sw.id + "/log", "/communities/commons/history"} {
			sw.api(t, "bob", "GET", path, nil)
		}
		for _, v := range slices.Sorted(mapsKeys(choices)) {
			sw.api(t, v, "GET", "/api/v1/ballots/"+sw.id+"/vote", nil)
			sw.api(t, v, "GET", "/api/v1/ballots/"+sw.id+"/receipt", nil)
		}

		// The definition names the options ("key":…), the decrypted sums
		// and winners name them ("…":n, ["…"]), and so does the tie-break
		// order; those occurrences are dropped before looking.
		definitional := regexp.MustCompile(`"key":"opt[a-z]+7"|"opt[a-z]+7":\d+|\["opt[a-z]+7"\]|"tiebreak":\[[^\]]*\]`)
		found := map[string]bool{}
		check := func(where, text string) {
			for _, k := range keys {
				if strings.Contains(text, k) {
					found[where] = true
				}
			}
			rest := definitional.ReplaceAllString(text, "")
			for _, w := range append(slices.Clone(keys), "randomness", "opening", `"option":`, `"approve":`, `"ranks":`) {
				if strings.Contains(rest, w) {
					t.Errorf("%s holds %s:\n%.400s", where, w, rest[max(0, strings.Index(rest, w)-200):])
				}
			}
		}
		for _, row := range dumpTables(t, st) {
			table, _, _ := strings.Cut(row, ":")
			if table == "ballot_options" { // the options themselves
				found[table] = true
				continue
			}
			check("table "+table, row)
		}
		if !found["table ballot_documents"] || !found["table secret_tallies"] {
			t.Errorf("the checker did not find the option keys where the definition and the result are: %v", found)
		}
		check("the server's log", sw.logs.String())
		rec.mu.Lock()
		defer rec.mu.Unlock()
		pages := regexp.MustCompile(`^GET (/ballots/` + sw.id + `(/results|/audit)?|/api/v1/ballots/` + sw.id + `/export/result\.csv) 200$`)
		receipts := 0
		for _, r := range rec.seen {
			if strings.HasPrefix(r, "GET /api/v1/ballots/"+sw.id+"/receipt 200\n") && strings.Contains(r, `"format":"koinon-secret-receipt/1"`) {
				receipts++
			}
			head, body, _ := strings.Cut(r, "\n")
			if strings.HasSuffix(head, " 500") {
				t.Errorf("%s: a server error", head)
			}
			if pages.MatchString(head) {
				// Pages and the result export show the options and the
				// sums by design; a choice or an opening they must not.
				body = regexp.MustCompile(`opt[a-z]+7`).ReplaceAllString(body, "")
			}
			check("response to "+head, body)
		}
		if receipts != len(choices) {
			t.Errorf("%d voters got a receipt, want %d", receipts, len(choices))
		}
	})
}

// TestSecretProofTampering: every single-field change of a secret ballot's
// proof as the server sealed it makes `koinon verify` fail, at the check
// that owns the field (docs/spec/secret-ballot.md §8); the untouched proof
// passes all ten.
func TestSecretProofTampering(t *testing.T) {
	sw := newSecretWorld(t, storetest.SQLite(t))
	raw := sw.run(t, "majority", nil, map[string]string{"bob": `"yes"`, "cat": `"no"`, "dan": `"yes"`, "eve": `"abstain"`})
	const g = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76" // the generator: a valid point
	one := "01" + strings.Repeat("00", 31)
	for _, tc := range []struct {
		name   string
		tamper func(rec map[string]any)
		want   string
		doc    func(doc map[string]any) // a change outside the record
	}{
		{"none", func(map[string]any) {}, "11 ok weights and result", nil},
		{"ciphertext", func(rec map[string]any) { at(rec, "cast", 0, "ballot", "ciphertexts", 1)["b"] = g }, "6 FAIL ballot validity proofs", nil},
		{"validity proof", func(rec map[string]any) { at(rec, "cast", 2, "ballot", "bit_proofs", 0)["v"].([]any)[1] = one }, "6 FAIL ballot validity proofs", nil},
		{"sum proof", func(rec map[string]any) { at(rec, "cast", 1, "ballot", "sum_proofs", 0)["c"].([]any)[0] = one }, "6 FAIL ballot validity proofs", nil},
		{"weight", func(rec map[string]any) { at(rec, "cast", 0)["weight"] = 2 }, "7 FAIL weighted aggregate", nil},
		{"aggregate", func(rec map[string]any) { at(rec, "aggregate", 0)["a"] = g }, "7 FAIL weighted aggregate", nil},
		{"decryption share", func(rec map[string]any) { at(rec, "shares", 1)["parts"].([]any)[0] = g }, "8 FAIL decryption share proofs", nil},
		{"joint key", func(rec map[string]any) { rec["key_generation"].(map[string]any)["key"] = g }, "2 FAIL key generation", nil},
		{"key commitment", func(rec map[string]any) { at(rec, "key_generation", "commitments", 0)["coefficients"].([]any)[1] = g }, "2 FAIL key generation", nil},
		{"count", func(rec map[string]any) { rec["counts"].([]any)[0] = 5 }, "10 FAIL counts", nil},
		{"result", func(map[string]any) {}, "11 FAIL weights and result: result", func(doc map[string]any) {
			doc["result"].(map[string]any)["totals"].(map[string]any)["no"] = 0
		}},
		{"delegation graph", func(map[string]any) {}, "11 FAIL weights and result: weights", func(doc map[string]any) {
			for _, e := range doc["electorate"].([]any) {
				if e.(map[string]any)["voter"] == "ann" {
					e.(map[string]any)["delegates"] = []any{}
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			tc.tamper(doc["record"].(map[string]any))
			if tc.doc != nil {
				tc.doc(doc)
			}
			b, _ := json.Marshal(doc)
			name := filepath.Join(t.TempDir(), "proof.json")
			os.WriteFile(name, b, 0o644)
			code, out, errs := runCmd(t, "", nil, "verify", name)
			if wantCode := map[bool]int{true: 0, false: 1}[tc.name == "none"]; code != wantCode || !strings.Contains(out, tc.want) {
				t.Errorf("koinon verify: %d, want %d and %q:\n%s%s", code, wantCode, tc.want, out, errs)
			}
		})
	}
}

// at walks a decoded JSON value by member names and list indices and
// returns the object it ends at.
func at(v any, path ...any) map[string]any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v.(map[string]any)
}
