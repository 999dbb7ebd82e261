package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// openReads fetches everything an anonymous visitor and a member who did
// not vote (eve) can read about an open ballot, and returns it as one text
// (bodies and headers).
func (bw *ballotWorld) openReads(t *testing.T, id string) string {
	t.Helper()
	var sb strings.Builder
	for _, who := range []string{"", "eve"} {
		for _, path := range []string{
			"/api/v1/ballots/" + id, "/api/v1/ballots/" + id + "/log", "/api/v1/ballots/" + id + "/result",
			"/api/v1/ballots/" + id + "/proof", "/api/v1/ballots/" + id + "/export/result.csv",
			"/api/v1/ballots/" + id + "/export/ballots.csv", "/api/v1/ballots/" + id + "/export/ballots.blt",
			"/api/v1/communities/commons/ballots", "/metrics",
		} {
			res, body := bw.raw(t, who, "GET", path, nil)
			fmt.Fprintf(&sb, "%s %d %v\n%s\n", path, res.StatusCode, res.Header, body)
		}
		for _, path := range []string{"/ballots/" + id, "/ballots/" + id + "/results", "/ballots/" + id + "/audit",
			"/communities/commons/ballots", "/c/commons/history", "/delegations?community=commons"} {
			st, body, hdr := bw.page(t, who, "GET", path, nil)
			fmt.Fprintf(&sb, "%s %d %v\n%s\n", path, st, hdr, body)
		}
	}
	return sb.String()
}

// logEntry is one entry of GET /api/v1/ballots/{id}/log.
type logEntry struct {
	Kind    string    `json:"kind"`
	At      time.Time `json:"at"`
	Payload struct {
		Voter       string `json:"voter"`
		CastReceipt string `json:"cast_receipt"`
	} `json:"payload"`
}

func (bw *ballotWorld) ballotLog(t *testing.T, id string) []logEntry {
	t.Helper()
	_, body := bw.raw(t, "", "GET", "/api/v1/ballots/"+id+"/log", nil)
	var l struct{ Entries []logEntry }
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatalf("log of %s: %v", id, err)
	}
	return l.Entries
}

// oldCastReceipt is the cast receipt of 2026-11, without a nonce: SHA-256
// of the JCS bytes of {ballot, cast_at, choice, voter}.
func oldCastReceipt(ballot, voter, choice string, at time.Time) string {
	c, _ := proof.Canonicalize([]byte(choice))
	s := fmt.Sprintf(`{"ballot":%q,"cast_at":%q,"choice":%s,"voter":%q}`, ballot, at.UTC().Format(proof.TimeLayout), c, voter)
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var hex64 = regexp.MustCompile(`[0-9a-f]{64}`)

// TestAttackerCannotRecomputeChoices plays the attacker of issue 14 item 1:
// it casts, replaces and withdraws votes of every method on public and
// pseudonymous ballots, reads everything an anonymous visitor and another
// member can read while they are open, and tries every choice, voter,
// second and nonce found against each cast receipt: no vote is recovered.
// The voter herself can open her receipt with the nonce she was given.
func TestAttackerCannotRecomputeChoices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		start := time.Now().UTC().Truncate(time.Second)
		opts := []any{map[string]string{"key": "ada", "label": "Ada"}, "Bea", map[string]string{"key": "cai", "label": "Cai"}}
		methods := []struct {
			method  string
			extra   map[string]any
			choices []string // cat's first and second vote, fay's, gus's (withdrawn)
		}{
			{"majority", nil, []string{`"yes"`, `"no"`, `"abstain"`, `"yes"`}},
			{"plurality", nil, []string{`"ada"`, `"bea"`, `"cai"`, `"ada"`}},
			{"approval", nil, []string{`["ada","cai"]`, `[]`, `["bea"]`, `["cai"]`}},
			{"irv", nil, []string{`["bea","ada"]`, `["cai"]`, `["ada","bea","cai"]`, `["bea"]`}},
			{"schulze", nil, []string{`[["ada","bea"],["cai"]]`, `[["cai"]]`, `[["bea"],["ada"]]`, `[["ada"]]`}},
			{"stv", map[string]any{"seats": 2, "stv_rule": "scottish"}, []string{`["ada","bea"]`, `["cai","bea"]`, `["bea"]`, `["cai","ada"]`}},
		}
		for _, secrecy := range []string{"public", "pseudonymous"} {
			for _, m := range methods {
				t.Run(secrecy+"/"+m.method, func(t *testing.T) {
					req := map[string]any{"title": "Pick by " + m.method, "method": m.method, "secrecy": secrecy}
					if m.method != "majority" {
						req["options"] = opts
					}
					for k, v := range m.extra {
						req[k] = v
					}
					id := bw.createOpen(t, req)
					vote := func(who, choice string) string {
						t.Helper()
						resp := bw.expect(t, who, "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": json.RawMessage(choice)}, 200, "")
						at, _ := time.Parse(time.RFC3339, resp["cast_at"].(string))
						nonce, _ := resp["receipt_nonce"].(string)
						if len(nonce) < 32 {
							t.Fatalf("vote response has no receipt nonce of ≥ 128 bits: %v", resp)
						}
						got, err := proof.CastReceipt(id, resp["voter"].(string), json.RawMessage(choice), at, nonce)
						if err != nil || got != resp["cast_receipt"] {
							t.Errorf("%s cannot open her own cast receipt: %s vs %v (%v)", who, got, resp["cast_receipt"], err)
						}
						return nonce
					}
					vote("cat", m.choices[0])
					vote("fay", m.choices[2])
					vote("gus", m.choices[3])
					bw.expect(t, "gus", "DELETE", "/api/v1/ballots/"+id+"/vote", nil, 204, "")
					catNonce := vote("cat", m.choices[1])
					bw.mustPage(t, "cat", "/ballots/"+id, catNonce) // her receipt page gives her the nonce

					seen := bw.openReads(t, id)
					nonces := hex64.FindAllString(seen, -1)
					voters := []string{"cat", "fay", "gus", "eve", "ann"}
					b, _ := st.BallotByID(t.Context(), mustID(t, id))
					for _, h := range []string{"cat", "fay", "gus"} {
						p := storetest.Pseudonym(t, st, b, bw.W.ID(h))
						voters = append(voters, p) // the attacker is even given the pseudonyms
						if secrecy == "pseudonymous" && strings.Contains(seen, p) {
							t.Errorf("the open ballot shows %s's pseudonym to others", h)
						}
					}
					if secrecy == "pseudonymous" && strings.Contains(seen, `"direct_weight"`) {
						t.Error("an open pseudonymous ballot shows the direct weight (its steps name who voted)")
					}
					end := time.Now().UTC()
					for _, e := range bw.ballotLog(t, id) {
						if e.Payload.CastReceipt == "" {
							continue
						}
						if secrecy == "pseudonymous" && (e.Payload.Voter != "" || !e.At.Equal(e.At.Truncate(24*time.Hour))) {
							t.Errorf("pseudonymous log entry names a voter or a time finer than the day: %+v", e)
						}
						for _, c := range m.choices {
							for _, v := range voters {
								for at := start; !at.After(end); at = at.Add(time.Second) {
									if oldCastReceipt(id, v, c, at) == e.Payload.CastReceipt {
										t.Errorf("recovered %s's choice %s from the log (receipt without nonce)", v, c)
									}
									for _, n := range nonces {
										if r, _ := proof.CastReceipt(id, v, json.RawMessage(c), at, n); r == e.Payload.CastReceipt {
											t.Errorf("recovered %s's choice %s with a nonce found in public pages", v, c)
										}
									}
								}
							}
						}
					}
				})
			}
		}
	})
}

// TestOpenPseudonymousSizesDoNotDependOnChoices: two pseudonymous ballots
// that differ only in their votes' choices answer public reads with the
// same sizes (ETags, where sent, are in openReads and tried as nonces).
func TestOpenPseudonymousSizesDoNotDependOnChoices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		ids := make([]string, 2)
		for i, choice := range []string{"yes", "abstain"} {
			ids[i] = bw.createOpen(t, map[string]any{"title": "Same title", "method": "majority", "secrecy": "pseudonymous"})
			bw.expect(t, "cat", "PUT", "/api/v1/ballots/"+ids[i]+"/vote", map[string]any{"choice": choice}, 200, "")
		}
		for _, path := range []string{"/api/v1/ballots/%s", "/api/v1/ballots/%s/log", "/ballots/%s"} {
			var sizes []int
			for _, id := range ids {
				_, body := bw.raw(t, "", "GET", fmt.Sprintf(path, id), nil)
				sizes = append(sizes, len(body))
			}
			if sizes[0] != sizes[1] {
				t.Errorf("%s: sizes %v depend on the choice", path, sizes)
			}
		}
	})
}

func mustID(t *testing.T, id string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(id, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// proofGraph is the part of a proof a curious reader links with.
type proofGraph struct {
	Electorate []struct {
		Voter     string   `json:"voter"`
		Delegates []string `json:"delegates"`
	} `json:"electorate"`
	Votes []struct {
		Voter  string          `json:"voter"`
		Choice json.RawMessage `json:"choice"`
	} `json:"votes"`
}

// TestCuriousDelegateAndOutsider plays issue 14 item 2 on two open
// pseudonymous ballots with a chain (fay → gus → bob → dan), backups
// (ann → bob, cat; bob → dan, cat) and a cycle (dan ↔ eve), with a
// community-wide delegation change while both are open. The curious
// delegate bob knows who lists him (ann, gus) and his own pseudonyms; he
// must not find the pseudonym, and so the choice, of a delegator who voted
// directly (ann), neither from the open ballots nor from the proofs. The
// curious outsider reads both logs and must find no entry that names a
// citizen's pseudonym or shares a moment across the ballots.
func TestCuriousDelegateAndOutsider(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bw := newBallotWorld(t, st)
		lists := map[string][]string{"ann": {"bob", "cat"}, "gus": {"bob"}, "bob": {"dan", "cat"}, "dan": {"eve"}, "eve": {"dan"}, "fay": {"gus"}}
		for who, to := range lists {
			bw.expect(t, who, "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": to}, 200, "")
		}
		ids := []string{
			bw.createOpen(t, map[string]any{"title": "First", "method": "majority", "secrecy": "pseudonymous"}),
			bw.createOpen(t, map[string]any{"title": "Second", "method": "majority", "secrecy": "pseudonymous"}),
		}
		votes := []map[string]string{{"ann": "no", "cat": "yes", "bob": "yes"}, {"ann": "yes", "cat": "no"}}
		for i, id := range ids {
			for who, c := range votes[i] {
				bw.expect(t, who, "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": c}, 200, "")
			}
		}
		// A community-wide change reaches both open ballots at one second.
		bw.expect(t, "gus", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"bob", "cat"}}, 200, "")

		// The delegate's own view: who lists him, to the day only.
		m := bw.expect(t, "bob", "GET", "/api/v1/delegations?community=commons", nil, 200, "")
		if len(m["notices"].([]any)) == 0 {
			t.Fatal("bob has no delegation notices")
		}
		for _, n := range m["notices"].([]any) {
			n := n.(map[string]any)
			if _, ok := n["at"]; ok || len(fmt.Sprint(n["day"])) != len("2006-01-02") {
				t.Errorf("notice gives a time finer than the day: %v", n)
			}
		}
		_, page, _ := bw.page(t, "bob", "GET", "/delegations?community=commons", nil)
		if regexp.MustCompile(`\d\d:\d\d UTC`).MatchString(page[strings.Index(page, "ballots-notices"):]) {
			t.Error("the delegations page shows notice times finer than the day")
		}
		// Nor the weight he carries on the open ballots: its changes would
		// tell him which delegator just voted directly.
		if strings.Contains(page, "counts with weight") || !strings.Contains(page, "published when the ballot closes") {
			t.Error("the delegations page shows bob the weight he carries on an open pseudonymous ballot")
		}

		pseud := func(id, who string) string {
			b, _ := st.BallotByID(t.Context(), mustID(t, id))
			return storetest.Pseudonym(t, st, b, bw.W.ID(who))
		}
		// Open ballots: no entry names a pseudonym or records a
		// delegation change; no vote or delegation shares a moment.
		moments := map[time.Time]string{}
		for _, id := range ids {
			seen := bw.openReads(t, id)
			for _, who := range []string{"ann", "bob", "cat", "dan", "fay", "gus"} { // eve, the reader, sees her own
				if strings.Contains(seen, pseud(id, who)) {
					t.Errorf("open ballot %s shows %s's pseudonym to others", id, who)
				}
			}
			_, bobsPage, _ := bw.page(t, "bob", "GET", "/ballots/"+id, nil)
			if strings.Contains(bobsPage, pseud(id, "ann")) || strings.Contains(bobsPage, pseud(id, "gus")) {
				t.Errorf("bob's ballot page shows a delegator's pseudonym")
			}
			for _, e := range bw.ballotLog(t, id) {
				switch e.Kind {
				case store.EventOpened, store.EventClosed, store.EventSealed:
					continue // the board's acts, public on every ballot
				case store.EventDelegationChanged:
					t.Errorf("ballot %s logs a delegation change: %+v", id, e)
				}
				if e.Payload.Voter != "" || !e.At.Equal(e.At.Truncate(24*time.Hour)) {
					t.Errorf("ballot %s: entry %+v names a voter or a moment", id, e)
				}
				if other, ok := moments[e.At]; ok && other != id && !e.At.Equal(e.At.Truncate(24*time.Hour)) {
					t.Errorf("ballots %s and %s share the moment %v", other, id, e.At)
				}
				moments[e.At] = id
			}
		}

		// After the close: bob reads the proofs and looks for pseudonyms
		// that list his; none of them voted directly.
		for i, id := range ids {
			bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
			_, body := bw.raw(t, "", "GET", "/api/v1/ballots/"+id+"/proof", nil)
			if rep := proof.Verify(body, nil); !rep.OK {
				t.Fatalf("proof of %s fails: %+v", id, rep.Checks)
			}
			var g proofGraph
			if err := json.Unmarshal(body, &g); err != nil {
				t.Fatal(err)
			}
			bob := pseud(id, "bob")
			listsBob := map[string]bool{}
			for _, e := range g.Electorate {
				for _, d := range e.Delegates {
					if d == bob {
						listsBob[e.Voter] = true
					}
				}
			}
			for _, v := range g.Votes {
				if listsBob[v.Voter] {
					t.Errorf("ballot %s: bob finds his delegator %s's direct vote %s", id, v.Voter, v.Choice)
				}
			}
			if !listsBob[pseud(id, "gus")] {
				t.Errorf("ballot %s: gus, who did not vote, should still be shown delegating to bob", id)
			}
			if _, ok := votes[i]["ann"]; ok && listsBob[pseud(id, "ann")] {
				t.Errorf("ballot %s: ann voted directly, yet the proof links her pseudonym to bob's", id)
			}
		}
	})
}
