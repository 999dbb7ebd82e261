package web_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/store/storetest"
)

// A device registers its key and votes with signed statements through
// the API: each answer is a receipt whose inclusion proof verifies in its
// signed checkpoint; the community names its log; the tiles give the
// checkpoint's root; bad statements and impossible proof requests are
// refused with 422 and 400.
func TestSignedStatementsAPI(t *testing.T) {
	st := storetest.SQLite(t)
	storetest.Logs(t, st, "https://vote.example.org/logs/")
	bw := newBallotWorld(t, st)
	id := bw.createOpen(t, map[string]any{"title": "Paint", "method": "majority"})

	m := bw.expect(t, "ann", "GET", "/api/v1/communities/commons", nil, 200, "")
	lg, _ := m["log"].(map[string]any)
	if lg["origin"] != "vote.example.org/logs/commons" || lg["url"] != "https://vote.example.org/logs/commons/" {
		t.Fatalf("log %v", m["log"])
	}
	verifier, err := note.NewVerifier(lg["vkey"].(string))
	if err != nil {
		t.Fatal(err)
	}

	_, key, _ := ed25519.GenerateKey(nil)
	pub := key.Public().(ed25519.PublicKey)
	sign := func(kind statement.Kind, scope, prev string, content any) *statement.Envelope {
		raw, _ := statement.Content(content)
		e, err := statement.Sign(statement.Statement{Format: statement.Format, Kind: kind, Community: "commons", Scope: scope,
			Content: raw, Prev: prev, At: "2026-12-05T10:00:00Z", Key: proof.KeyID(pub)}, key, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	submit := func(body any, want int) map[string]any {
		t.Helper()
		return bw.expect(t, "ann", "POST", "/api/v1/communities/commons/statements", body, want, "")
	}
	r := submit(sign(statement.KeyRegister, statement.ScopeCommunity, "", statement.KeyContent{Citizen: "ann", PublicKey: base64.StdEncoding.EncodeToString(pub)}), 200)
	head := r["hash"].(string)
	vote := sign(statement.Vote, statement.BallotScope(id), head, statement.VoteContent{Choice: json.RawMessage(`"yes"`)})
	nonce := strings.Repeat("ab", 32)
	bad := submit(map[string]any{"envelope": sign(statement.Vote, statement.BallotScope(id), "", statement.VoteContent{Choice: json.RawMessage(`"yes"`)}), "nonce": nonce}, 422)
	if msg, _ := bad["error"].(map[string]any)["message"].(string); !strings.Contains(msg, statement.ErrBrokenChain.Error()) {
		t.Errorf("broken chain: %v", bad)
	}
	r = submit(map[string]any{"envelope": vote, "nonce": nonce}, 200)
	index := int64(r["index"].(float64))
	if index != 1 || r["custodial"] != false {
		t.Fatalf("receipt %v", r)
	}
	cp, _, err := clog.OpenCheckpoint([]byte(r["checkpoint"].(string)), "vote.example.org/logs/commons", verifier)
	if err != nil {
		t.Fatal(err)
	}
	res, bundle := bw.raw(t, "", "GET", "/logs/commons/tile/entries/000.p/2", nil)
	if res.StatusCode != 200 {
		t.Fatalf("entry bundle: %d", res.StatusCode)
	}
	entries, err := clog.ParseEntryBundle(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var proof tlog.RecordProof
	for _, h := range r["inclusion"].([]any) {
		b, _ := hex.DecodeString(h.(string))
		proof = append(proof, tlog.Hash(b))
	}
	if err := clog.VerifyInclusion(cp, index, entries[index], proof); err != nil {
		t.Fatal(err)
	}
	if e, _ := clog.ParseEntry(entries[index]); e.Type != clog.TypeCommitment {
		t.Errorf("an open ballot's vote is logged as %s", e.Type)
	}
	if root, n, err := clog.Replay(func(yield func([]byte) bool) {
		for _, e := range entries {
			yield(e)
		}
	}); err != nil || n != 2 || root != cp.Root {
		t.Errorf("tiles replay to %v (%d entries), checkpoint root %v", root, n, cp.Root)
	}
	res, body := bw.raw(t, "", "GET", "/logs/commons/checkpoint", nil)
	if _, _, err := clog.OpenCheckpoint(body, cp.Origin, verifier); res.StatusCode != 200 || err != nil {
		t.Errorf("checkpoint: %d %v", res.StatusCode, err)
	}
	bw.expect(t, "", "GET", "/api/v1/communities/commons/log/consistency?old=1&new=2", nil, 200, "")
	bw.expect(t, "", "GET", "/api/v1/communities/commons/log/consistency?old=1&new=7", nil, 400, "")
	bw.expect(t, "", "GET", "/api/v1/communities/commons/log/inclusion?index=2&size=2", nil, 400, "")
	if res, _ := bw.raw(t, "", "GET", "/logs/commons/tile/entries/000.p/9", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("bundle beyond the log: %d", res.StatusCode)
	}
	// The old API keeps working: bob's vote is signed with his custodial key.
	v := bw.expect(t, "bob", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": "no"}, 200, "")
	if lr, _ := v["log_receipt"].(map[string]any); lr["custodial"] != true || lr["checkpoint"] == "" {
		t.Errorf("the API vote's log receipt: %v", v["log_receipt"])
	}
	mine := bw.expect(t, "bob", "GET", "/api/v1/communities/commons/statements", nil, 200, "")
	if n := len(mine["statements"].([]any)); n != 2 {
		t.Errorf("bob has %d statements, want his custodial key and his vote", n)
	}
}
