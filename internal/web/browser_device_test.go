package web_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/closing"
	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
	"koinon/internal/web/resultstest"
)

// needWASM skips (or, with KOINON_REQUIRE_BROWSER=1, fails) a test that
// needs the WebAssembly module.
func needWASM(t *testing.T) {
	t.Helper()
	if _, err := fs.Stat(koinon.Assets, "static/wasm/koinon-verify.wasm"); err != nil {
		if os.Getenv("KOINON_REQUIRE_BROWSER") == "1" {
			t.Fatal("static/wasm/koinon-verify.wasm is not built: run `make wasm` before the tests")
		}
		t.Skip("the WebAssembly module is not built (make wasm)")
	}
}

// deviceWorld is a server with community logs on, a community "commons"
// with topic "infra", a board member and bob.
type deviceWorld struct {
	st     *sqlstore.Store
	ts     *httptest.Server
	w      *storetest.World
	c      store.Community
	topic  store.Topic
	signer resultstest.Signer
	tokens *auth.Tokens
}

func newDeviceWorld(t *testing.T, st *sqlstore.Store) *deviceWorld {
	t.Helper()
	dw := &deviceWorld{st: st, signer: resultstest.NewSigner("device"), tokens: auth.NewTokens(testTokenKey, nil)}
	dw.ts = httptest.NewUnstartedServer(nil)
	storetest.Logs(t, st, "http://"+dw.ts.Listener.Addr().String()+"/logs/")
	srv, err := web.New(web.Deps{Store: st, Tokens: dw.tokens, Assets: koinon.Assets, Signer: dw.signer})
	if err != nil {
		t.Fatal(err)
	}
	dw.ts.Config.Handler = srv
	dw.ts.Start()
	t.Cleanup(dw.ts.Close)
	dw.w = storetest.NewWorld(t, st)
	dw.c = dw.w.Community("commons")
	dw.topic = dw.w.Topic(dw.c.ID, "infra")
	dw.w.Member(dw.c.ID, domain.RoleBoard, 1, "board")
	dw.w.Member(dw.c.ID, domain.RoleMember, 1, "bob")
	return dw
}

// ballot creates and opens a public majority ballot in infra.
func (dw *deviceWorld) ballot(t *testing.T, title string) store.Ballot {
	t.Helper()
	ctx := context.Background()
	b := store.Ballot{CommunityID: dw.c.ID, TopicID: &dw.topic.ID, Title: title, Method: "majority", Seats: 1, Threshold: "1/2",
		Strict: true, Quorum: "0/1", Delegation: true, Secrecy: "public", CreatedBy: dw.w.ID("board"), ClosesAt: time.Now().UTC().Add(time.Hour)}
	opts := []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
	if err := dw.st.CreateBallot(ctx, &b, opts, nil); err != nil {
		t.Fatal(err)
	}
	opened, err := dw.st.OpenBallot(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	return opened
}

func (dw *deviceWorld) close(t *testing.T, b store.Ballot) {
	t.Helper()
	if _, err := closing.New(dw.st, dw.signer, nil).Close(context.Background(), b.ID); err != nil {
		t.Fatalf("close %s: %v", b.Title, err)
	}
}

// reload loads url and waits until device.js has checked the log.
func reloadChecked(url string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`#device[data-checked]`)))
}

// submitAndWait clicks sel, whose form device.js signs and sends, and
// waits for the page it loads afterwards to be checked.
func submitAndWait(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(clickAndLoad(sel), chromedp.WaitVisible(chromedp.CSS(`#device[data-checked]`)))
}

// TestBrowserDeviceKeys is issue 16's browser story: sign up; the key is
// made in the browser (with a backup file, which moves it to a second
// browser); delegate, vote, withdraw and vote again, signed in the
// browser; reload, and the consistency of the log since the kept
// checkpoint is checked by itself; close, and the page says the
// statements were counted as made. An operator changes this citizen's
// vote on a second ballot directly in the database before its close: that
// page shows the red warning; last, the operator rewrites one of her log
// entries: the delegations page warns. Screenshots at 390 and 1280 px in
// English and German; axe finds no serious violation (on the English
// pages: the German ones have the same markup).
func TestBrowserDeviceKeys(t *testing.T) {
	needWASM(t)
	ctx := newBrowserFor(t, 8*time.Minute) // one profile holds the key and receipts from sign-up to the close
	axe := axeSource(t)
	dw := newDeviceWorld(t, storetest.SQLite(t))
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	u := dw.ts.URL

	browse(t, ctx, "sign up",
		chromedp.Navigate(u+"/signup"),
		chromedp.SendKeys(css("#f-handle"), "ada"),
		chromedp.SendKeys(css("#f-display_name"), "Ada Lovelace"),
		chromedp.SendKeys(css("#f-email"), "ada@example.org"),
		chromedp.SendKeys(css("#f-password"), "correct horse battery"),
		chromedp.Click(css(`form[action="/signup"] button[type=submit]`)),
		chromedp.WaitVisible(css(`header form[action="/signout"] button`)))
	ada, err := dw.st.CitizenByHandle(context.Background(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	dw.w.Citizens["ada"] = ada
	dw.w.Member(dw.c.ID, domain.RoleMember, 1, "ada")
	paint, bench := dw.ballot(t, "Paint the hall"), dw.ballot(t, "New benches")

	// The key, made in the browser with a backup file.
	browse(t, ctx, "the delegations page", reloadChecked(u+"/delegations?community=commons"), chromedp.WaitVisible(css("#device-create")))
	screenshot(t, ctx, "device-no-key-en-1280")
	checkAxe(t, ctx, axe)
	browse(t, ctx, "make the key",
		chromedp.SendKeys(css("#device-pass"), "a long passphrase for ada"),
		chromedp.Click(css("#device-create-btn")),
		chromedp.WaitVisible(css("#device-backup")))
	backup, err := chromedp.Run(ctx, chromedp.Evaluate[string](`decodeURIComponent(document.querySelector("#device-backup-link").href.split(",")[1])`))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Format string `json:"format"`
		KeyID  string `json:"key_id"`
		Sealed string `json:"sealed"`
		KDF    struct {
			Iterations int `json:"iterations"`
		} `json:"kdf"`
	}
	if err := json.Unmarshal([]byte(backup), &file); err != nil || file.Format != "koinon-device-key/1" || len(file.KeyID) != 16 || file.Sealed == "" || file.KDF.Iterations < 600000 {
		t.Fatalf("backup file: %v\n%s", err, backup)
	}
	if strings.Contains(backup, "seed") || strings.Contains(backup, "pkcs8") {
		t.Errorf("the backup file shows the key in the clear:\n%s", backup)
	}
	extractable, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new Promise((ok, fail) => {
		const r = indexedDB.open("koinon-device");
		r.onsuccess = () => { const g = r.result.transaction("keys").objectStore("keys").get("ada");
			g.onsuccess = () => ok(String(g.result.privateKey.extractable) + " " + g.result.privateKey.algorithm.name); g.onerror = fail; };
		r.onerror = fail; })`, chromedp.EvalAwaitPromise))
	if err != nil || extractable != "false Ed25519" {
		t.Fatalf("the kept key: %q %v, want a non-extractable Ed25519 key", extractable, err)
	}

	screenshot(t, ctx, "device-key-made-en-1280")

	// Move the key to a second device with the backup file: a wrong
	// passphrase is refused; the right one puts the same key there, which
	// then signs (no second registration).
	restoreOnSecondDevice(t, dw, ada, backup, file.KeyID)

	// Delegate on the topic, then vote on both ballots: signed here.
	browse(t, ctx, "delegate",
		chromedp.SendKeys(css(`#scope-c input[name=delegate]`), "bob"),
		submitAndWait(`#scope-c button[name=action][value=set]`))
	if got := textOf(t, ctx, "#device .flash.ok"); !strings.Contains(got, "Your delegation was signed on this device") {
		t.Errorf("after delegating: %q", got)
	}
	if got := textOf(t, ctx, "#scope-c .device-signed"); !strings.Contains(got, "Signed on your device") {
		t.Errorf("the community list: %q", got)
	}
	for _, b := range []store.Ballot{paint, bench} {
		browse(t, ctx, "vote on "+b.Title,
			reloadChecked(u+"/ballots/"+b.IDString()),
			chromedp.Click(css(`#vote-form input[value=yes]`)),
			submitAndWait(`#cast-vote`))
		if got := textOf(t, ctx, "#vote .device-signed"); !strings.Contains(got, "Signed on your device") {
			t.Errorf("%s: my vote says %q", b.Title, got)
		}
	}
	// Withdraw on the hall, then vote again: both signed here.
	browse(t, ctx, "withdraw", reloadChecked(u+"/ballots/"+paint.IDString()), submitAndWait(`#withdraw-vote`))
	if got := textOf(t, ctx, "#device .flash.ok"); !strings.Contains(got, "Your vote was withdrawn by a statement signed on this device") {
		t.Errorf("after withdrawing: %q", got)
	}
	browse(t, ctx, "vote again", chromedp.Click(css(`#vote-form input[value=yes]`)), submitAndWait(`#cast-vote`))
	browse(t, ctx, "window", chromedp.EmulateViewport(390, 900))
	screenshot(t, ctx, "device-voted-en-390")
	checkFits(t, ctx, "the ballot page after a signed vote")
	browse(t, ctx, "window", chromedp.EmulateViewport(1280, 900))
	// bob votes without a device key (custodial), so the log grows between
	// ada's visits.
	castCustodial(t, dw, "bob", paint)

	// Reload: the kept checkpoint is extended by the current one.
	browse(t, ctx, "reload", reloadChecked(u+"/ballots/"+paint.IDString()))
	if got := textOf(t, ctx, "#device-outcome"); got != "Your 5 statements from this device are in the log, and the log has only grown since you last looked ✓" {
		t.Errorf("after reload: %q", got)
	}
	keys := textOf(t, ctx, "#device-keys")
	if !strings.Contains(keys, "this browser") || !strings.Contains(keys, file.KeyID) {
		t.Errorf("keys registered for ada: %q (key %s)", keys, file.KeyID)
	}

	// The operator changes ada's vote on the benches before its close.
	execSQL(t, dw.st, "UPDATE votes SET choice = ? WHERE ballot_id = ? AND citizen_id = ?", `"no"`, bench.ID, ada.ID)
	dw.close(t, paint)
	dw.close(t, bench)

	for _, lang := range []string{"en", "de"} {
		browse(t, ctx, "language "+lang, chromedp.Navigate(u+"/lang/"+lang))
		counted := map[string]string{"en": "Your 5 statements are in the log and were counted as you made them ✓",
			"de": "Ihre 5 Erklärungen stehen im Protokoll und wurden so gezählt, wie Sie sie abgegeben haben ✓"}[lang]
		warning := map[string]string{"en": "Warning: the community's log or the result does not match", "de": "Warnung: Das Protokoll der Gemeinschaft"}[lang]
		report := map[string]string{"en": "Report this to the community's board and to the log's witnesses", "de": "Melden Sie dies dem Vorstand der Gemeinschaft und den Zeugen"}[lang]
		for _, width := range []int64{1280, 390} {
			browse(t, ctx, "window", chromedp.EmulateViewport(width, 900))
			browse(t, ctx, "closed ballot", reloadChecked(u+"/ballots/"+paint.IDString()+"#device"))
			if got := textOf(t, ctx, "#device-outcome"); got != counted {
				t.Errorf("%s %d: counted line %q, want %q", lang, width, got, counted)
			}
			if got, _ := chromedp.Run(ctx, chromedp.AttributeValue(css("#device"), "data-checked")); got.Value != "ok" {
				t.Errorf("%s %d: data-checked %q", lang, width, got.Value)
			}
			screenshot(t, ctx, "device-counted-"+lang+"-"+strconv.FormatInt(width, 10))
			checkFits(t, ctx, "the counted ballot page")
			if width == 1280 && lang == "en" {
				checkAxe(t, ctx, axe)
			}

			browse(t, ctx, "tampered ballot", reloadChecked(u+"/ballots/"+bench.IDString()+"#device"))
			if got := textOf(t, ctx, "#device-outcome"); !strings.HasPrefix(got, warning) {
				t.Errorf("%s %d: tampered ballot says %q", lang, width, got)
			}
			problems := textOf(t, ctx, "#device-problems")
			if !strings.Contains(problems, report) || !strings.Contains(problems, "votes") {
				t.Errorf("%s %d: the warning's details: %q", lang, width, problems)
			}
			screenshot(t, ctx, "device-tampered-"+lang+"-"+strconv.FormatInt(width, 10))
			checkFits(t, ctx, "the tampered ballot page")
			if width == 1280 && lang == "en" {
				checkAxe(t, ctx, axe)
			}
		}
	}
	browse(t, ctx, "window", chromedp.EmulateViewport(1280, 900))

	// The operator rewrites ada's delegation in the log itself: her
	// device reads it back from the log's entry bundle and warns.
	stmts, err := dw.st.StatementsOf(context.Background(), dw.c.ID, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	idx := int64(-1)
	for _, s := range stmts {
		if strings.Contains(string(s.Envelope), `"kind":"delegate","prev"`) && strings.Contains(string(s.Envelope), `"scope":"community"`) {
			idx = s.Index
		}
	}
	if idx < 0 {
		t.Fatal("no community delegation of ada's in the log")
	}
	var data []byte
	if err := storetest.DB(t, dw.st).Raw("SELECT data FROM log_entries WHERE community_id = ? AND idx = ?", dw.c.ID, idx).Row().Scan(&data); err != nil {
		t.Fatal(err)
	}
	execSQL(t, dw.st, "UPDATE log_entries SET data = ? WHERE community_id = ? AND idx = ?", []byte(strings.Replace(string(data), `["bob"]`, `["eve"]`, 1)), dw.c.ID, idx)
	browse(t, ctx, "rewritten log", chromedp.Navigate(u+"/lang/en"), reloadChecked(u+"/delegations?community=commons"))
	if got := textOf(t, ctx, "#device-problems"); !strings.Contains(got, "Your delegation statement at log index "+strconv.FormatInt(idx, 10)+" is no longer in the log as this device made it") {
		t.Errorf("after the log entry was rewritten: %q", got)
	}
	screenshot(t, ctx, "device-rewritten-en-1280")
}

// castCustodial votes yes for handle through the API, with no signed
// statement: the server signs with the custodial key.
func castCustodial(t *testing.T, dw *deviceWorld, handle string, b store.Ballot) {
	t.Helper()
	c := dw.w.Citizen(handle)
	tok, _, err := dw.tokens.Issue(c.ID, c.Handle, c.TokenVersion)
	if err != nil {
		t.Fatal(err)
	}
	status, body, _ := call(t, dw.ts.URL, "PUT", "/api/v1/ballots/"+b.IDString()+"/vote", tok, `{"choice":"yes"}`)
	if rc, _ := body["log_receipt"].(map[string]any); status != 200 || rc["custodial"] != true {
		t.Fatalf("custodial vote of %s: %d %v", handle, status, body)
	}
}

func execSQL(t *testing.T, st *sqlstore.Store, q string, args ...any) {
	t.Helper()
	if err := storetest.DB(t, st).Exec(q, args...).Error; err != nil {
		t.Fatal(err)
	}
}

// restoreOnSecondDevice opens the backup file in a second browser (its own
// profile) signed in as ada: a wrong passphrase is refused, the right one
// keeps the same key there, and a delegation signed with it needs no new
// registration. (The second device's receipts are its own: the first
// device counts only what it signed itself.)
func restoreOnSecondDevice(t *testing.T, dw *deviceWorld, ada store.Citizen, backup, keyID string) {
	t.Helper()
	ctx := newBrowser(t)
	tok, _, err := dw.tokens.Issue(ada.ID, ada.Handle, ada.TokenVersion)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "koinon-key-ada.json")
	if err := os.WriteFile(name, []byte(backup), 0o600); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	restore := func(pass string) {
		browse(t, ctx, "restore",
			chromedp.Click(css("#device-restore summary")),
			chromedp.SetUploadFiles(css("#device-file"), []string{name}),
			chromedp.Clear(css("#device-restore-pass")),
			chromedp.SendKeys(css("#device-restore-pass"), pass),
			chromedp.Click(css("#device-restore-btn")),
			chromedp.WaitVisible(css("#device .flash")))
	}
	browse(t, ctx, "second device", sessionCookie(dw.ts.URL, tok), reloadChecked(dw.ts.URL+"/delegations?community=commons"))
	restore("not the passphrase at all")
	if got := textOf(t, ctx, "#device .flash"); !strings.Contains(got, "wrong passphrase") {
		t.Errorf("a wrong passphrase: %q", got)
	}
	browse(t, ctx, "reload", reloadChecked(dw.ts.URL+"/delegations?community=commons"))
	restore("a long passphrase for ada")
	if got, _ := chromedp.Run(ctx, chromedp.AttributeValue(css("#device"), "data-key")); got.Value != keyID {
		t.Fatalf("restored key %q, want %s (%s)", got.Value, keyID, textOf(t, ctx, "#device .flash"))
	}
	browse(t, ctx, "delegate on the second device",
		chromedp.SendKeys(css(`#scope-t-`+strconv.FormatInt(dw.topic.ID, 10)+` input[name=delegate]`), "bob"),
		submitAndWait(`#scope-t-`+strconv.FormatInt(dw.topic.ID, 10)+` button[name=action][value=set]`))
	if got := textOf(t, ctx, "#device .flash.ok"); !strings.Contains(got, "Your delegation was signed on this device") {
		t.Errorf("second device, after delegating: %q", got)
	}
	stmts, err := dw.st.StatementsOf(context.Background(), dw.c.ID, ada.ID)
	if err != nil {
		t.Fatal(err)
	}
	registrations := 0
	for _, s := range stmts {
		if strings.Contains(string(s.Envelope), `"kind":"key_register"`) {
			registrations++
		}
		if !strings.Contains(string(s.Envelope), `"key":"`+keyID+`"`) {
			t.Errorf("statement %d not signed with the moved key: %s", s.Index, s.Envelope)
		}
	}
	if registrations != 1 {
		t.Errorf("%d key registrations for ada, want 1 (the moved key is the same key)", registrations)
	}
	screenshot(t, ctx, "device-second-en-1280")
}
