package web_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/secret"
	"koinon/internal/statement"
	"koinon/internal/store"
	"koinon/internal/store/storetest"
	"koinon/internal/trustee"
)

// deviceTrustee is a trustee who works through the API with a device key
// of their own (as koinon trustee does): every step a signed statement.
type deviceTrustee struct {
	handle string
	key    ed25519.PrivateKey
	prev   string // hash of their latest statement
	dev    trustee.Device
}

func newDeviceTrustee(t *testing.T, bw *ballotWorld, handle string) *deviceTrustee {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, trustee.SeedSize)
	rand.Read(seed)
	d := &deviceTrustee{handle: handle, key: key, dev: trustee.Device{Seed: seed, Community: "commons"}}
	d.send(t, bw, "/api/v1/communities/commons/statements", statement.KeyRegister, statement.ScopeCommunity,
		statement.KeyContent{Citizen: handle, PublicKey: base64.StdEncoding.EncodeToString(pub)})
	return d
}

// send signs a statement on the trustee's chain and posts it to path.
func (d *deviceTrustee) send(t *testing.T, bw *ballotWorld, path string, kind statement.Kind, scope string, content any) {
	t.Helper()
	raw, err := statement.Content(content)
	if err != nil {
		t.Fatal(err)
	}
	env, err := statement.Sign(statement.Statement{Format: statement.Format, Kind: kind, Community: "commons", Scope: scope,
		Content: raw, Prev: d.prev, At: time.Now().UTC().Format(statement.TimeLayout),
		Key: proof.KeyID(d.key.Public().(ed25519.PublicKey))}, d.key, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if st, m := bw.api(t, d.handle, "POST", path, string(env.Bytes())); st != 200 {
		t.Fatalf("%s: %s %s: %d %v", d.handle, kind, path, st, m)
	}
	d.prev = env.Hash().String()
}

// transcript reads ballot id's secret transcript as the trustee.
func (d *deviceTrustee) transcript(t *testing.T, bw *ballotWorld, id string) *trustee.Transcript {
	t.Helper()
	st, _, body := get(t, bw.TS.URL+"/api/v1/ballots/"+id+"/secret", bw.tok(t, d.handle))
	var tr trustee.Transcript
	if st != 200 || json.Unmarshal([]byte(body), &tr) != nil {
		t.Fatalf("transcript of %s: %d %s", id, st, body)
	}
	return &tr
}

// step takes the key-generation step due, if any.
func (d *deviceTrustee) step(t *testing.T, bw *ballotWorld, id string) {
	t.Helper()
	tr := d.transcript(t, bw, id)
	if tr.You.Due == "" {
		t.Fatalf("%s: no step due on ballot %s (%s)", d.handle, id, tr.Progress.Phase)
	}
	content, err := d.dev.Step(rand.Reader, tr)
	if err != nil {
		t.Fatal(err)
	}
	d.send(t, bw, "/api/v1/ballots/"+id+"/trustee/"+tr.You.Due, trusteeKind(tr.You.Due), statement.BallotScope(id), content)
}

// decrypt sends the trustee's decryption share.
func (d *deviceTrustee) decrypt(t *testing.T, bw *ballotWorld, id string) {
	t.Helper()
	content, err := d.dev.Decrypt(rand.Reader, d.transcript(t, bw, id))
	if err != nil {
		t.Fatal(err)
	}
	d.send(t, bw, "/api/v1/ballots/"+id+"/trustee/decrypt", statement.TrusteeDecrypt, statement.BallotScope(id), content)
}

func trusteeKind(step string) statement.Kind {
	for k, s := range statement.TrusteeKinds {
		if s == step {
			return k
		}
	}
	return ""
}

// secretCase is one method's secret ballot and what its voters choose,
// in the page's terms: the option keys a voter ticks (majority,
// plurality, approval) or their ranks (schulze); and the same choices as
// the API takes them, for the public twin that recounts them.
type secretCase struct {
	method  string
	options []string
	choices map[string][]string // voter → keys ticked, or "key=rank" for schulze
	plain   map[string]any      // voter → the choice as a public ballot takes it
	// totalsRow and countsRow are the totals the result page and /verify
	// show (label:weight; for schulze, /verify's pairwise rows).
	totalsRow, countsRow string
}

var secretCases = []secretCase{
	{"majority", nil, map[string][]string{"dan": {"yes"}, "eve": {"no"}, "fay": {"yes"}},
		map[string]any{"dan": "yes", "eve": "no", "fay": "yes"},
		"Yes:3 | No:1 | Abstain:0", "Yes (yes):3 | No (no):1 | Abstain (abstain):0"},
	{"plurality", []string{"Ada", "Bea", "Cai"}, map[string][]string{"dan": {"bea"}, "eve": {"ada"}, "fay": {"bea"}},
		map[string]any{"dan": "bea", "eve": "ada", "fay": "bea"},
		"Bea:3 | Ada:1 | Cai:0", "Ada (ada):1 | Bea (bea):3 | Cai (cai):0"},
	{"approval", []string{"Ada", "Bea", "Cai"}, map[string][]string{"dan": {"ada", "cai"}, "eve": {"bea"}, "fay": {"ada"}},
		map[string]any{"dan": []string{"ada", "cai"}, "eve": []string{"bea"}, "fay": []string{"ada"}},
		"Ada:3 | Cai:2 | Bea:1", "Ada (ada):3 | Bea (bea):1 | Cai (cai):2"},
	{"schulze", []string{"Ada", "Bea", "Cai", "Dov"}, map[string][]string{"dan": {"bea=1", "ada=2", "cai=3"}, "eve": {"ada=1", "cai=2"}, "fay": {"cai=1", "bea=1", "dov=2"}},
		map[string]any{"dan": [][]string{{"bea"}, {"ada"}, {"cai"}}, "eve": [][]string{{"ada"}, {"cai"}}, "fay": [][]string{{"bea", "cai"}, {"dov"}}},
		"", "Ada (ada):—:1:3:3 | Bea (bea):3:—:2:3 | Cai (cai):1:1:—:4 | Dov (dov):1:0:0:—"},
}

// TestBrowserSecretBallots runs a secret ballot of each method end to end:
// three trustees (ann in the browser, bob and cat through the API with
// device keys) make the joint key, threshold 2; dan (carrying ann's
// delegated weight), eve and fay vote in the browser, dan after checking
// a first ballot (Benaloh challenge); the board closes; bob and ann send
// decryption shares while cat stays absent, and the tallying page names
// who is missing. The result must equal a recount of the plaintext
// choices: the same votes on a public twin ballot. Screenshots of the
// vote page, the audit view, the tallying page and the result, in English
// and German at 390 and 1280 px; axe finds no serious violation.
func TestBrowserSecretBallots(t *testing.T) {
	requireWASM(t)
	st := storetest.SQLite(t)
	bw := newBallotWorld(t, st)
	storetest.Logs(t, st, bw.TS.URL+"/logs/")
	ctx := newBrowserFor(t, 15*time.Minute)
	axe := axeSource(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string { t.Helper(); return textOf(t, ctx, sel) }
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// shots saves the page at 390 and 1280 px (checking that it fits and
	// passes axe), then returns to 1280.
	shots := func(name string) {
		t.Helper()
		for _, w := range []int64{390, 1280} {
			browse(t, ctx, name, chromedp.EmulateViewport(w, 900))
			checkFits(t, ctx, name)
			checkAxe(t, ctx, axe)
			screenshot(t, ctx, fmt.Sprintf("%s-%d", name, w))
		}
	}
	lang := func(l string) { browse(t, ctx, "language "+l, chromedp.Navigate(bw.TS.URL+"/lang/"+l)) }
	// waitJS polls a condition (across page loads), failing with the
	// status line and the page's text.
	waitJS := func(what, cond, status string) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
			done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && (`+cond+`)`))
			if err == nil && done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v (status %q; page: %.600s)", what, err, eval(`(document.getElementById("`+status+`") || {}).textContent || ""`),
					eval(`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`))
			}
		}
	}

	bw.expect(t, "ann", "PUT", "/api/v1/delegations", map[string]any{"community": "commons", "delegates": []string{"dan"}}, 200, "")
	bob, cat := newDeviceTrustee(t, bw, "bob"), newDeviceTrustee(t, bw, "cat")

	// annStep: ann takes her due step on the trustee page.
	annStep := func(id, what string) {
		t.Helper()
		browse(t, ctx, what, bw.signInAs(t, "ann"), chromedp.Navigate(bw.TS.URL+"/ballots/"+id+"/trustee"))
		waitJS(what, `document.getElementById("trustee-device") && document.getElementById("trustee-device").dataset.ready === "1"`, "trustee-status")
		button := "#trustee-run"
		if eval(`String(document.getElementById("trustee-new").hidden)`) == "false" {
			button = "#trustee-new"
		}
		browse(t, ctx, what, markStale(), chromedp.Click(css(button)))
		// The page reloads once the step is in.
		waitJS(what, `!document.body.dataset.stale && document.getElementById("trustee-device") !== null`, "trustee-status")
	}

	for i, tc := range secretCases {
		{
			req := map[string]any{"title": "Secret " + tc.method, "method": tc.method, "secrecy": "secret",
				"trustees": []string{"ann", "bob", "cat"}, "trustee_threshold": 2, "closes_at": future()}
			if tc.options != nil {
				req["options"] = tc.options
			}
			m := bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", req, 201, "")
			id := fmt.Sprint(int64(m["id"].(float64)))
			bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/open", nil, 409, "")

			// Key generation: box keys, deals, checks; ann first each time.
			for _, step := range []string{"key", "deal", "check"} {
				annStep(id, tc.method+" trustee "+step)
				if i == 0 && step == "deal" {
					lang("en")
					browse(t, ctx, "trustee page", chromedp.Navigate(bw.TS.URL+"/ballots/"+id+"/trustee"))
					waitJS("trustee page", `document.getElementById("trustee-device") && document.getElementById("trustee-device").dataset.ready === "1"`, "trustee-status")
					shots("secret-trustee-en")
				}
				bob.step(t, bw, id)
				cat.step(t, bw, id)
			}
			bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/open", nil, 200, "")

			// Voting in the browser.
			receipts := map[string]string{}
			for _, voter := range []string{"dan", "eve", "fay"} {
				page := bw.TS.URL + "/ballots/" + id
				browse(t, ctx, voter+" opens", bw.signInAs(t, voter), chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page))
				waitJS(voter+" module", `document.getElementById("secret-vote") && document.getElementById("secret-vote").dataset.ready === "1"`, "secret-status")
				choose := func() {
					for _, c := range tc.choices[voter] {
						if k, r, ok := strings.Cut(c, "="); ok {
							browse(t, ctx, voter+" ranks", chromedp.SendKeys(css(`#secret-vote label:has(input[data-option]) input[data-option="`+optIndex(tc, k)+`"]`), r))
						} else {
							browse(t, ctx, voter+" ticks", chromedp.Click(css(`#secret-vote input[value="`+k+`"]`)))
						}
					}
				}
				prepare := func() string {
					browse(t, ctx, voter+" prepares", chromedp.Click(css(`#secret-prepare`)), chromedp.WaitVisible(css(`#secret-prepared`)))
					return strings.ReplaceAll(text(`#secret-fingerprint`), " ", "")
				}
				choose()
				if i == 0 && voter == "dan" || i == 0 && voter == "eve" {
					l := map[string]string{"dan": "en", "eve": "de"}[voter]
					lang(l)
					browse(t, ctx, voter+" reopens", chromedp.Navigate(page))
					waitJS(voter+" module", `document.getElementById("secret-vote") && document.getElementById("secret-vote").dataset.ready === "1"`, "secret-status")
					choose()
					shots("secret-vote-" + l)
					audited := prepare()
					browse(t, ctx, voter+" audits", chromedp.Click(css(`#secret-audit`)), chromedp.WaitVisible(css(`#secret-audit-view`)))
					if cls := eval(`document.getElementById("secret-audit-result").className`); cls != "secret-audit-result pass" {
						t.Errorf("%s: audit says %q (%s)", voter, text(`#secret-audit-result`), cls)
					}
					var data struct {
						Fingerprint string         `json:"fingerprint"`
						Voting      secret.Voting  `json:"voting"`
						Ballot      secret.Ballot  `json:"ballot"`
						Opening     secret.Opening `json:"opening"`
						Choice      secret.Choice  `json:"choice"`
					}
					if err := json.Unmarshal([]byte(eval(`document.getElementById("secret-audit-data").value`)), &data); err != nil {
						t.Fatal(err)
					}
					if data.Fingerprint != audited || data.Voting.Audit(data.Ballot, data.Opening, data.Choice) != nil {
						t.Errorf("%s: the audit data does not check natively (fingerprint %s, shown %s)", voter, data.Fingerprint, audited)
					}
					if eval(`String(document.getElementById("secret-prepared").hidden)`) != "true" {
						t.Errorf("%s: the audited ballot can still be cast", voter)
					}
					shots("secret-audit-" + l)
					receipts[voter] = prepare()
					if receipts[voter] == audited {
						t.Errorf("%s: the fresh ballot is the audited one", voter)
					}
				} else {
					receipts[voter] = prepare()
				}
				browse(t, ctx, voter+" casts", clickAndLoad(`#secret-cast`), chromedp.WaitVisible(css(`#secret-myvote`)))
				if got := text(`#cast-receipt`); got != receipts[voter] {
					t.Errorf("%s: receipt %q, want the fingerprint shown before casting %q", voter, got, receipts[voter])
				}
			}
			lang("en")

			// Close: tallying until two trustees sent shares.
			bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
			bob.decrypt(t, bw, id)
			browse(t, ctx, "tallying", bw.signInAs(t, "fay"), chromedp.Navigate(bw.TS.URL+"/ballots/"+id), chromedp.WaitVisible(css(`#secret-missing`)))
			if got, want := text(`#secret-missing`), "Still needed: 1 more decryption share(s). Not yet sent by: ann, cat."; got != want {
				t.Errorf("tallying page: %q, want %q", got, want)
			}
			if i == 0 {
				shots("secret-tallying-en")
				lang("de")
				browse(t, ctx, "tallying de", chromedp.Navigate(bw.TS.URL+"/ballots/"+id))
				shots("secret-tallying-de")
				lang("en")
			}
			annStep(id, tc.method+" decrypt")

			// The voters' encrypted ballots and ann's steps were signed
			// with their browsers' keys, and the sealed proof, which
			// `koinon verify` passes, lists those statements.
			_, _, doc := get(t, bw.TS.URL+"/ballots/"+id+"/proof", "")
			if r := proof.VerifyAny([]byte(doc), nil); !r.OK {
				t.Errorf("%s: koinon verify of the sealed proof: %+v", tc.method, r)
			}
			for _, voter := range []string{"dan", "eve", "fay"} {
				deviceSigned(t, bw, doc, id, voter, statement.SecretVote)
			}
			deviceSigned(t, bw, doc, id, "ann", statement.TrusteeKey, statement.TrusteeDeal, statement.TrusteeCheck, statement.TrusteeDecrypt)

			// The result equals the recount of the plaintext choices.
			twinReq := map[string]any{"title": "Twin " + tc.method, "method": tc.method}
			if tc.options != nil {
				twinReq["options"] = tc.options
			}
			twin := bw.createOpen(t, twinReq)
			for voter, c := range tc.plain {
				bw.expect(t, voter, "PUT", "/api/v1/ballots/"+twin+"/vote", map[string]any{"choice": c}, 200, "")
			}
			bw.expect(t, "board", "POST", "/api/v1/ballots/"+twin+"/close", nil, 200, "")
			got, want := resultOf(t, bw, id), resultOf(t, bw, twin)
			if got != want {
				t.Errorf("%s: secret result\n %s\nwant the recount\n %s", tc.method, got, want)
			}
			browse(t, ctx, "result", chromedp.Navigate(bw.TS.URL+"/ballots/"+id), chromedp.WaitVisible(css(`#result`)))
			if href := eval(`document.getElementById("verify-link").getAttribute("href")`); href != "/verify?proof=/ballots/"+id+"/proof" {
				t.Errorf("verify link %q", href)
			}
			if rows := eval(`[...document.querySelectorAll(".ballots-totals tbody tr")].map(r => r.children[0].textContent + ":" + r.children[1].textContent).join(" | ")`); rows != tc.totalsRow {
				t.Errorf("%s: result page totals %q, want %q", tc.method, rows, tc.totalsRow)
			}
			// The proof checks in the browser, counts in the ballot's order.
			browse(t, ctx, "verify", chromedp.Navigate(bw.TS.URL+"/verify?proof=/ballots/"+id+"/proof"))
			waitJS("verify", `!document.getElementById("verify-report").hidden`, "verify-status")
			if got := eval(`[...document.querySelectorAll("#verify-checks li")].map(li => li.value + (li.classList.contains("verify-ok") ? "ok" : "FAIL")).join(" ")`); got != "1ok 2ok 3ok 4ok 5ok 6ok 7ok 8ok 9ok 10ok 11ok" { // 11: weights and result of a sealed proof
				t.Errorf("%s: /verify checks %q: %s", tc.method, got, text(`#verify-checks`))
			}
			if got := eval(`[...document.querySelectorAll("#verify-counts-table tbody tr")].map(r => [...r.children].map(c => c.textContent).join(":")).join(" | ")`); got != tc.countsRow {
				t.Errorf("%s: /verify counts %q, want %q", tc.method, got, tc.countsRow)
			}
			if i == 0 {
				shots("secret-verify-en")
			}
			browse(t, ctx, "result again", chromedp.Navigate(bw.TS.URL+"/ballots/"+id), chromedp.WaitVisible(css(`#result`)))
			if i == 0 {
				shots("secret-result-en")
				lang("de")
				browse(t, ctx, "result de", chromedp.Navigate(bw.TS.URL+"/ballots/"+id))
				shots("secret-result-de")
				lang("en")
			}
		}
	}
}

// deviceSigned checks that handle's statements of each kind on ballot id
// are in the log (the API's list of their statements) signed with a
// device key, not the custodial one, and that the sealed proof doc lists
// each of them as logged.
func deviceSigned(t *testing.T, bw *ballotWorld, doc, id, handle string, kinds ...statement.Kind) {
	t.Helper()
	var sealed struct {
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(doc), &sealed); err != nil {
		t.Fatalf("proof of %s: %v", id, err)
	}
	inProof := map[string]bool{}
	for _, raw := range sealed.Statements {
		inProof[compactJSON(t, raw)] = true
	}
	st, _, body := get(t, bw.TS.URL+"/api/v1/communities/commons/statements", bw.tok(t, handle))
	var mine struct {
		Statements []store.LoggedStatement `json:"statements"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &mine) != nil {
		t.Fatalf("statements of %s: %d %s", handle, st, body)
	}
	seen := map[statement.Kind]int{}
	for _, ls := range mine.Statements {
		var env struct {
			Custodial bool `json:"custodial"`
			Statement struct {
				Kind  statement.Kind `json:"kind"`
				Scope string         `json:"scope"`
			} `json:"statement"`
		}
		if err := json.Unmarshal(ls.Envelope, &env); err != nil || env.Statement.Scope != statement.BallotScope(id) || !slices.Contains(kinds, env.Statement.Kind) {
			continue
		}
		seen[env.Statement.Kind]++
		if env.Custodial {
			t.Errorf("%s's %s on ballot %s (log index %d) is custodial, want signed on their device", handle, env.Statement.Kind, id, ls.Index)
		}
		if !inProof[compactJSON(t, ls.Envelope)] {
			t.Errorf("%s's %s on ballot %s (log index %d) is not in the sealed proof's statements", handle, env.Statement.Kind, id, ls.Index)
		}
	}
	for _, k := range kinds {
		if seen[k] == 0 {
			t.Errorf("%s has no %s statement on ballot %s in the log", handle, k, id)
		}
	}
}

func compactJSON(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// optIndex is the position of key among the case's options.
func optIndex(tc secretCase, key string) string {
	for i, o := range tc.options {
		if strings.ToLower(o) == key {
			return fmt.Sprint(i)
		}
	}
	return "?"
}

// resultOf is the counted part of a ballot's result: winners, totals,
// ranking, passed and weights, as JSON.
func resultOf(t *testing.T, bw *ballotWorld, id string) string {
	t.Helper()
	st, _, body := get(t, bw.TS.URL+"/api/v1/ballots/"+id+"/result", "")
	if st != 200 {
		t.Fatalf("result of %s: %d %s", id, st, body)
	}
	var r map[string]json.RawMessage
	json.Unmarshal([]byte(body), &r)
	if inner, ok := r["result"]; ok {
		json.Unmarshal(inner, &r)
	}
	out := map[string]any{} // decoded, so that member order does not matter
	for _, k := range []string{"winners", "totals", "ranking", "passed", "weights"} {
		var v any
		json.Unmarshal(r[k], &v)
		out[k] = v
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// Matrix row for the trustee page's step (custodial signature): member1,
// the one trustee of a secret draft ballot of alpha, publishes a box key.
// The draft is hidden from everyone but the board (404), which is no
// trustee (403).
func init() {
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "page trustee step", Method: "POST", Path: "/ballots/{secret}/trustee/{step}", Page: true,
			Setup: func(t *testing.T, f *matrixFixture) {
				ctx := context.Background()
				storetest.Logs(t, f.Store, "http://127.0.0.1/logs/")
				b := store.Ballot{CommunityID: f.Alpha.ID, Title: "Secret", Method: "majority", Seats: 1, Threshold: "1/2", Strict: true,
					Quorum: "0/1", Delegation: true, Secrecy: domain.SecrecySecret, CreatedBy: f.Citizens["board1"].ID,
					ClosesAt: time.Now().Add(time.Hour), TrusteeThreshold: 1, TrusteeIDs: []int64{f.Citizens["member1"].ID}}
				opts := []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
				if err := f.Store.CreateBallot(ctx, &b, opts, nil); err != nil {
					t.Fatal(err)
				}
				f.Vars["secret"], f.Vars["step"] = strconv.FormatInt(b.ID, 10), "key"
			},
			Body: func(*matrixFixture) matrixBody {
				return formBody("content", `{"box_key":"`+base64.StdEncoding.EncodeToString(make([]byte, 32))+`"}`)
			},
			Want: [numRoles]int{303, 404, 200, 404, 403, 404}},
	)
}
