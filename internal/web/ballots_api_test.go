package web_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"koinon"
	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
	"koinon/internal/web/resultstest"
)

// ballotWorld is a community with a board, members and a topic, and a
// server with a platform key.
type ballotWorld struct {
	W      *storetest.World
	C      store.Community
	Topic  store.Topic
	TS     *httptest.Server
	Signer resultstest.Signer
	tokens map[string]string
}

func newBallotWorld(t *testing.T, st *sqlstore.Store) *ballotWorld {
	t.Helper()
	w := storetest.NewWorld(t, st)
	bw := &ballotWorld{W: w, Signer: resultstest.NewSigner("ballots"), tokens: map[string]string{}}
	bw.C = w.Community("commons")
	bw.Topic = w.Topic(bw.C.ID, "infra")
	w.Member(bw.C.ID, domain.RoleBoard, 1, "board")
	w.Member(bw.C.ID, domain.RoleMember, 1, "ann", "bob", "cat", "dan", "eve", "fay", "gus")
	w.Member(bw.C.ID, domain.RoleAuditor, 0, "aud")
	w.Citizen("out")
	srv, err := web.New(web.Deps{Store: st, Tokens: testTokens(), Assets: koinon.Assets, Signer: bw.Signer})
	if err != nil {
		t.Fatal(err)
	}
	bw.TS = httptest.NewServer(srv)
	t.Cleanup(bw.TS.Close)
	return bw
}

func (bw *ballotWorld) tok(t *testing.T, handle string) string {
	if tk, ok := bw.tokens[handle]; ok {
		return tk
	}
	c := bw.W.Citizen(handle)
	tk, _, err := testTokens().Issue(c.ID, c.Handle, c.TokenVersion)
	if err != nil {
		t.Fatal(err)
	}
	bw.tokens[handle] = tk
	return tk
}

// api calls the API as handle ("" for anonymous).
func (bw *ballotWorld) api(t *testing.T, handle, method, path string, body any) (int, map[string]any) {
	t.Helper()
	tk := ""
	if handle != "" {
		tk = bw.tok(t, handle)
	}
	st, m, _ := call(t, bw.TS.URL, method, path, tk, body)
	return st, m
}

func (bw *ballotWorld) raw(t *testing.T, handle, method, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, bw.TS.URL+path, nil)
	if handle != "" {
		req.Header.Set("Authorization", "Bearer "+bw.tok(t, handle))
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func (bw *ballotWorld) expect(t *testing.T, handle, method, path string, body any, want int, wantField string) map[string]any {
	t.Helper()
	st, m := bw.api(t, handle, method, path, body)
	if st != want {
		t.Fatalf("%s %s as %q = %d %v, want %d", method, path, handle, st, m, want)
	}
	if wantField != "" {
		if _, f := errField(m); f != wantField {
			t.Fatalf("%s %s: error field %q (%v), want %q", method, path, f, m, wantField)
		}
	}
	return m
}

func future() string { return time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339) }

// createOpen makes and opens a ballot as board and returns its id.
func (bw *ballotWorld) createOpen(t *testing.T, req map[string]any) string {
	t.Helper()
	if req["closes_at"] == nil {
		req["closes_at"] = future()
	}
	m := bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", req, 201, "")
	if m["state"] != "draft" {
		t.Fatalf("new ballot state %v", m["state"])
	}
	id := fmt.Sprint(int64(m["id"].(float64)))
	bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/open", nil, 200, "")
	return id
}

func TestBallotFlowAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		put := func(who string, body map[string]any, want int, field string) map[string]any {
			t.Helper()
			return bw.expect(t, who, "PUT", "/api/v1/delegations", body, want, field)
		}
		// Delegation rules.
		put("ann", map[string]any{"community": "commons", "delegates": []string{"ann"}}, 422, "delegates")
		put("ann", map[string]any{"community": "commons", "delegates": []string{"out"}}, 422, "delegates")
		put("ann", map[string]any{"community": "commons", "delegates": []string{"nobody_here"}}, 422, "delegates")
		put("ann", map[string]any{"community": "commons"}, 422, "delegates")
		put("ann", map[string]any{"community": "commons", "topic": "nope", "delegates": []string{}}, 422, "topic")
		put("out", map[string]any{"community": "commons", "delegates": []string{"ann"}}, 403, "")
		bw.expect(t, "", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"ann"}}, 401, "")
		// A chain ann → bob → cat; a cycle dan ↔ eve broken by eve's
		// backup fay; gus → cat in general but → fay on infra.
		put("ann", map[string]any{"community": "commons", "delegates": []string{"bob"}}, 200, "")
		put("bob", map[string]any{"community": "commons", "delegates": []string{"cat"}}, 200, "")
		put("dan", map[string]any{"community": "commons", "delegates": []string{"eve"}}, 200, "")
		put("eve", map[string]any{"community": "commons", "delegates": []string{"dan", "fay"}}, 200, "")
		put("gus", map[string]any{"community": "commons", "delegates": []string{"cat"}}, 200, "")
		m := put("gus", map[string]any{"community": "commons", "topic": "infra", "delegates": []string{"fay"}}, 200, "")
		if lists := m["lists"].([]any); len(lists) != 2 {
			t.Fatalf("gus's lists = %v", lists)
		}
		m = bw.expect(t, "cat", "GET", "/api/v1/delegations?community=commons", nil, 200, "")
		if from := m["delegators"].([]any); len(from) != 2 {
			t.Errorf("cat's delegators = %v, want bob and gus", from)
		}
		if n := m["notices"].([]any); len(n) != 2 || n[0].(map[string]any)["kind"] != "start" {
			t.Errorf("cat's notices = %v", n)
		}
		bw.expect(t, "cat", "DELETE", "/api/v1/delegations", map[string]any{"community": "commons", "topic": "infra"}, 200, "")

		// Ballot validation.
		base := func(kv ...any) map[string]any {
			m := map[string]any{"title": "Adopt the infra plan", "topic": "infra", "method": "majority", "closes_at": future()}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		}
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"unknown method", base("method", "borda"), "method"},
			{"closing time in the past", base("closes_at", "2001-01-01T00:00:00Z"), "closes_at"},
			{"bad closing time", base("closes_at", "tomorrow"), "closes_at"},
			{"bad threshold", base("threshold", "half"), "threshold"},
			{"majority with other options", base("options", []string{"a", "b"}), "options"},
			{"stv rule on plurality", base("method", "plurality", "options", []string{"a", "b"}, "stv_rule", "meek"), "stv_rule"},
			{"unknown stv rule", base("method", "stv", "options", []string{"a", "b"}, "stv_rule", "droop"), "stv_rule"},
			{"too many seats", base("method", "stv", "options", []string{"a", "b"}, "seats", 3), "seats"},
			{"duplicate option", base("method", "plurality", "options", []string{"a", "A"}), "options[1].label"},
			{"missing title", base("title", ""), "title"},
			{"bad secrecy", base("secrecy", "hidden"), "secrecy"},
		} {
			if st, m := bw.api(t, "board", "POST", "/api/v1/communities/commons/ballots", tc.body); st != 422 {
				t.Errorf("%s: %d %v, want 422", tc.name, st, m)
			} else if _, f := errField(m); f != tc.field {
				t.Errorf("%s: field %q, want %q", tc.name, f, tc.field)
			}
		}
		bw.expect(t, "ann", "POST", "/api/v1/communities/commons/ballots", base(), 403, "")

		m = bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", base(), 201, "")
		id := fmt.Sprint(int64(m["id"].(float64)))
		if opts := m["options"].([]any); len(opts) != 3 {
			t.Fatalf("majority options = %v", opts)
		}
		vote := func(who string, choice any, want int, field string) map[string]any {
			t.Helper()
			return bw.expect(t, who, "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": choice}, want, field)
		}
		vote("cat", "yes", 404, "") // a draft is the board's only
		bw.expect(t, "ann", "POST", "/api/v1/ballots/"+id+"/open", nil, 404, "")
		bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/open", nil, 200, "")
		bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/open", nil, 409, "")
		bw.W.Member(bw.C.ID, domain.RoleMember, 1, "late")
		bw.W.EndMembership(bw.C.ID, "board") // stays on the frozen roll

		vote("late", "yes", 403, "")
		vote("aud", "yes", 403, "") // weight 0: not in the electorate
		vote("out", "yes", 403, "")
		vote("cat", "maybe", 422, "choice")
		vote("cat", []string{"yes"}, 422, "choice")
		bw.expect(t, "cat", "PUT", "/api/v1/ballots/"+id+"/vote", `{"choice": "yes"`, 400, "")
		m = vote("cat", "yes", 200, "")
		if r, _ := m["cast_receipt"].(string); len(r) != 64 {
			t.Errorf("cast receipt %q", r)
		}
		vote("fay", "no", 200, "")
		vote("board", "no", 200, "")
		vote("board", "yes", 200, "") // replaces
		// Concurrent double submissions leave exactly one vote.
		var wg sync.WaitGroup
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := []string{"yes", "no"}[i%2]
				if st, m := bw.api(t, "ann", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": c}); st != 200 {
					t.Errorf("concurrent vote: %d %v", st, m)
				}
			}(i)
		}
		wg.Wait()
		var n int64
		storetest.DB(t, st).Model(&store.Vote{}).Where("ballot_id = ? AND citizen_id = ?", id, bw.W.ID("ann")).Count(&n)
		if n != 1 {
			t.Fatalf("ann has %d votes after concurrent submissions", n)
		}
		bw.expect(t, "ann", "DELETE", "/api/v1/ballots/"+id+"/vote", nil, 204, "") // delegation applies again
		bw.expect(t, "ann", "DELETE", "/api/v1/ballots/"+id+"/vote", nil, 404, "")
		m = bw.expect(t, "", "GET", "/api/v1/ballots/"+id, nil, 200, "")
		if p := m["participation"].(map[string]any); p["votes"].(float64) != 3 || m["result"] != nil {
			t.Errorf("open ballot: participation %v, result %v", p, m["result"])
		}
		bw.expect(t, "", "GET", "/api/v1/ballots/"+id+"/result", nil, 409, "")
		bw.expect(t, "", "GET", "/api/v1/ballots/"+id+"/proof", nil, 409, "")
		bw.expect(t, "cat", "GET", "/api/v1/ballots/"+id+"/receipt", nil, 409, "")

		// Close.
		bw.expect(t, "cat", "POST", "/api/v1/ballots/"+id+"/close", nil, 403, "")
		bw.W.Member(bw.C.ID, domain.RoleBoard, 1, "board2")
		m = bw.expect(t, "board2", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
		if m["state"] != "closed" || m["result"] == nil {
			t.Fatalf("closed ballot = %v", m)
		}
		hash := m["proof_hash"].(string)
		m = bw.expect(t, "board2", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
		if m["proof_hash"] != hash {
			t.Error("closing again changed the proof")
		}
		// The votes' cache (votescope.go) still holds the ballot as open:
		// the store refuses the vote under the ballot's lock, as the
		// precheck would.
		if m := vote("cat", "no", 409, ""); m["error"].(map[string]any)["code"] != "ballot_closed" {
			t.Errorf("vote on the closed ballot: %v, want the code ballot_closed", m)
		}
		put("ann", map[string]any{"community": "commons", "ballot": jsonNum(id), "delegates": []string{"fay"}}, 409, "")

		res := bw.expect(t, "", "GET", "/api/v1/ballots/"+id+"/result", nil, 200, "")
		totals := res["totals"].(map[string]any)
		// yes: cat + bob + ann (chain) + board = 4; no: fay + eve + dan
		// (cycle broken by the backup) + gus (topic list) = 4.
		if totals["yes"].(float64) != 4 || totals["no"].(float64) != 4 || res["passed"] != false {
			t.Errorf("result totals %v passed %v, want 4:4, not passed", totals, res["passed"])
		}

		// The proof download.
		resp, body := bw.raw(t, "", "GET", "/api/v1/ballots/"+id+"/proof", nil)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="koinon-ballot-`+id+`-adopt-the-infra-plan.proof.json"`) {
			t.Errorf("proof download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
		if resp.Header.Get("ETag") != `"`+hash+`"` {
			t.Errorf("ETag %q, want the proof hash", resp.Header.Get("ETag"))
		}
		if again, _ := bw.raw(t, "", "GET", "/api/v1/ballots/"+id+"/proof", map[string]string{"If-None-Match": `"` + hash + `"`}); again.StatusCode != 304 {
			t.Errorf("conditional proof download = %d, want 304", again.StatusCode)
		}
		rep := proof.Verify(body, bw.Signer.Key.Public().(ed25519.PublicKey))
		if !rep.OK {
			t.Fatalf("downloaded proof fails: %+v", rep.Checks)
		}
		resRaw, _ := json.Marshal(res)
		var a, b any
		json.Unmarshal(resRaw, &a)
		json.Unmarshal(rep.Result, &b)
		if ra, rb := fmt.Sprint(a), fmt.Sprint(b); ra != rb {
			t.Errorf("published result differs from the recount:\n%s\n%s", ra, rb)
		}
		for _, h := range []string{"cat", "ann", "board"} {
			if !bytes.Contains(body, []byte(`"voter":"`+h+`"`)) {
				t.Errorf("public proof lacks voter %s", h)
			}
		}

		// Receipts.
		resp, rc := bw.raw(t, "cat", "GET", "/api/v1/ballots/"+id+"/receipt", nil)
		if resp.StatusCode != 200 || proof.Detect(rc) != proof.ReceiptFormat {
			t.Fatalf("receipt: %d %s", resp.StatusCode, trim(rc))
		}
		if r := proof.VerifyReceipt(rc, body, nil); !r.OK {
			t.Errorf("receipt does not verify against the proof: %+v", r.Checks)
		}
		if st, m := bw.api(t, "ann", "GET", "/api/v1/ballots/"+id+"/receipt", nil); st != 404 {
			t.Errorf("receipt of a delegating voter: %d %v", st, m)
		}

		// Log and key.
		m = bw.expect(t, "", "GET", "/api/v1/ballots/"+id+"/log", nil, 200, "")
		entries := m["entries"].([]any)
		if m["head"] == "" || entries[len(entries)-1].(map[string]any)["kind"] != "sealed" {
			t.Errorf("log: head %v, last %v", m["head"], entries[len(entries)-1])
		}
		m = bw.expect(t, "", "GET", "/.well-known/koinon-key", nil, 200, "")
		if m["key_id"] != proof.KeyID(bw.Signer.Key.Public().(ed25519.PublicKey)) {
			t.Errorf("well-known key = %v", m)
		}
		m = bw.expect(t, "", "GET", "/api/v1/communities/commons/ballots?state=closed", nil, 200, "")
		if bs := m["ballots"].([]any); len(bs) != 1 {
			t.Errorf("closed ballots = %v", bs)
		}
	})
}

func jsonNum(s string) json.Number { return json.Number(s) }

// TestEveryMethodAPI casts valid and invalid choices on one ballot per
// method, closes each and verifies its proof.
func TestEveryMethodAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		opts := []any{map[string]string{"key": "ada", "label": "Ada"}, "Bea", map[string]string{"key": "cai", "label": "Cai"}}
		for _, tc := range []struct {
			method string
			extra  map[string]any
			good   map[string]any
			bad    any
		}{
			{"plurality", nil, map[string]any{"cat": "ada", "fay": "bea"}, "zed"},
			{"approval", nil, map[string]any{"cat": []string{"ada", "cai"}, "fay": []string{}}, []string{"ada", "ada"}},
			{"irv", nil, map[string]any{"cat": []string{"bea", "ada"}, "fay": []string{"cai"}}, "ada"},
			{"schulze", nil, map[string]any{"cat": [][]string{{"ada", "bea"}, {"cai"}}, "fay": [][]string{{"cai"}}}, [][]string{{}}},
			{"stv", map[string]any{"seats": 2, "stv_rule": "scottish"}, map[string]any{"cat": []string{"ada", "bea"}, "fay": []string{"cai", "bea"}}, []string{"ada", "nope"}},
		} {
			t.Run(tc.method, func(t *testing.T) {
				req := map[string]any{"title": "Pick by " + tc.method, "method": tc.method, "options": opts, "secrecy": "pseudonymous"}
				for k, v := range tc.extra {
					req[k] = v
				}
				id := bw.createOpen(t, req)
				bw.expect(t, "cat", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": tc.bad}, 422, "")
				for who, c := range tc.good {
					bw.expect(t, who, "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": c}, 200, "")
				}
				bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
				_, body := bw.raw(t, "", "GET", "/api/v1/ballots/"+id+"/proof", nil)
				if rep := proof.Verify(body, nil); !rep.OK {
					t.Fatalf("proof fails: %+v", rep.Checks)
				}
				if bytes.Contains(body, []byte(`"cat"`)) {
					t.Error("pseudonymous proof names cat")
				}
			})
		}
	})
}

func TestProposalsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		path := "/api/v1/communities/commons/proposals"
		bw.expect(t, "out", "POST", path, map[string]any{"title": "x", "body": "y"}, 403, "")
		bw.expect(t, "ann", "POST", path, map[string]any{"title": "", "body": "y"}, 422, "title")
		bw.expect(t, "ann", "POST", path, map[string]any{"title": "x", "body": "y", "topic": "nope"}, 422, "topic")
		var ids []int64
		for i, title := range []string{"Move to a new forge", "Stay on the old forge", "Self-host a forge"} {
			m := bw.expect(t, "ann", "POST", path, map[string]any{"title": title, "topic": "infra",
				"body": fmt.Sprintf("# Plan %d\n\nWe **should**.<script>alert(1)</script>", i)}, 201, "")
			if h := m["body_html"].(string); strings.Contains(h, "<script") || !strings.Contains(h, "<strong>should</strong>") {
				t.Errorf("body_html = %q", h)
			}
			ids = append(ids, int64(m["id"].(float64)))
		}
		m := bw.expect(t, "", "GET", path+"?limit=2", nil, 200, "")
		list := m["proposals"].([]any)
		if len(list) != 2 || m["total"].(float64) != 3 || list[0].(map[string]any)["title"] != "Self-host a forge" {
			t.Errorf("proposals page = %v", m)
		}
		sp := fmt.Sprintf("/api/v1/proposals/%d/support", ids[0])
		bw.expect(t, "out", "POST", sp, nil, 403, "")
		bw.expect(t, "bob", "POST", sp, nil, 200, "")
		m = bw.expect(t, "bob", "POST", sp, nil, 200, "")
		if m["supporters"].(float64) != 1 {
			t.Errorf("supporters after supporting twice = %v", m["supporters"])
		}
		bw.expect(t, "bob", "DELETE", sp, nil, 200, "")

		// One proposal: a yes/no ballot. Competing ones: schulze with the
		// status quo.
		m = bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", map[string]any{"proposal": ids[0], "closes_at": future()}, 201, "")
		if m["method"] != "majority" || m["title"] != "Move to a new forge" || m["topic"] != "infra" {
			t.Errorf("proposal ballot = %v", m)
		}
		bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", map[string]any{"proposal": ids[0], "closes_at": future()}, 422, "proposal")
		m = bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", map[string]any{
			"title": "Which forge?", "proposals": []int64{ids[1], ids[2]}, "closes_at": future()}, 201, "")
		opts := m["options"].([]any)
		if m["method"] != "schulze" || len(opts) != 3 || opts[2].(map[string]any)["key"] != "status-quo" {
			t.Errorf("competing proposals ballot = %v", m)
		}
	})
}
