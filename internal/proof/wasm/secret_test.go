//go:build !(js && wasm)

package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"koinon/internal/proof"
	"koinon/internal/secret"
	"koinon/internal/tally"
)

// secretJS drives static/js/secret_ballot.js in Node.js: per case it
// prepares and audits a ballot (which may then not be cast), checks that
// an opening of another choice does not audit, prepares a fresh ballot,
// casts and verifies it, and checks that a changed ballot does not verify.
// Then it times 10-option Schulze ballots and verifies a secret tally.
const secretJS = `
require(process.argv[2]);
const fs = require("fs");
const go = new Go();
WebAssembly.instantiate(fs.readFileSync(process.argv[3]), go.importObject).then((r) => {
  go.run(r.instance);
  require(process.argv[4]);
  const S = globalThis.KoinonSecretBallot;
  const input = JSON.parse(fs.readFileSync(process.argv[5]));
  const out = { cast: [], errors: [] };
  const mustThrow = (what, f) => { try { f(); out.errors.push(what + " did not throw"); } catch (e) {} };
  for (const c of input.cases) {
    const p = S.prepare(c.voting, c.choice);
    const a = p.audit();
    if (JSON.stringify(a.choice) !== JSON.stringify(c.choice) || a.opening.randomness.length !== p.ballot.ciphertexts.length) {
      out.errors.push("audit of " + c.voting.ballot.method + " revealed " + JSON.stringify(a));
    }
    mustThrow("cast after audit", () => p.castJSON());
    mustThrow("second audit", () => p.audit());
    const q = S.prepare(c.voting, c.choice);
    const other = S.prepare(c.voting, c.other).audit();
    const wrong = JSON.parse(koinonSecretAudit(JSON.stringify(c.voting), JSON.stringify(q.ballot), JSON.stringify(other.opening), JSON.stringify(c.other)));
    if (!wrong.error) {
      out.errors.push("an opening of another choice audited");
    }
    const cast = JSON.parse(q.castJSON());
    mustThrow("audit after cast", () => q.audit());
    S.verify(c.voting, cast);
    const bad = JSON.parse(JSON.stringify(cast));
    bad.ciphertexts[0].b = cast.ciphertexts[1].b;
    mustThrow("verify of a changed ballot", () => S.verify(c.voting, bad));
    out.cast.push(cast);
  }
  mustThrow("a choice outside the form", () => S.prepare(input.cases[0].voting, { option: 7 }));
  const t0 = performance.now(), c0 = process.cpuUsage();
  for (let i = 0; i < input.bench.runs; i++) {
    S.prepare(input.bench.voting, input.bench.choice);
  }
  const c = process.cpuUsage(c0);
  out.bench_ms = (performance.now() - t0) / input.bench.runs;
  out.bench_cpu_ms = (c.user + c.system) / 1000 / input.bench.runs;
  const doc = fs.readFileSync(process.argv[6], "utf8");
  out.report = JSON.parse(koinonVerify(doc, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
  out.bad_report = JSON.parse(koinonVerify(doc.replace('"counts":[3,3,0]', '"counts":[4,2,0]'), ""));
  console.log(JSON.stringify(out));
  process.exit(0);
});
`

type secretCase struct {
	Voting secret.Voting `json:"voting"`
	Choice secret.Choice `json:"choice"`
	Other  secret.Choice `json:"other"`
}

func options(keys ...string) []tally.Option {
	out := make([]tally.Option, len(keys))
	for i, k := range keys {
		out[i] = tally.Option{Key: k, Label: strings.ToUpper(k)}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// schulze10 is a 10-option Schulze ballot with a ranking that has ties and
// unranked options.
func schulze10(key secret.Point) (secret.Voting, secret.Choice) {
	return secret.Voting{Ballot: secret.Definition{ID: "bench", Method: "schulze",
			Options: options("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")}, Key: key, Voter: "v"},
		secret.Choice{Ranks: []int{3, 1, 2, 0, 4, 5, 0, 6, 7, 8}}
}

// TestWASMSecretBallots prepares, audits, casts and verifies a ballot of
// each method in Node.js through secret_ballot.js, then checks every cast
// ballot with the native verifier and decrypts it to the choice.
func TestWASMSecretBallots(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	if testing.Short() {
		t.Skip("builds the WebAssembly module")
	}
	x, key, err := secret.NewKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	voting := func(method string, max int, opts ...string) secret.Voting {
		return secret.Voting{Ballot: secret.Definition{ID: "ballot-" + method, Method: method, Options: options(opts...), MaxApprovals: max},
			Key: key, Voter: "key-id-of-ann"}
	}
	cases := []secretCase{
		{voting("majority", 0, "yes", "no", "abstain"), secret.Choice{Option: ptr(1)}, secret.Choice{Option: ptr(0)}},
		{voting("plurality", 0, "a", "b", "c", "d"), secret.Choice{Option: ptr(3)}, secret.Choice{Option: ptr(2)}},
		{voting("approval", 2, "a", "b", "c", "d"), secret.Choice{Approve: []int{0, 2}}, secret.Choice{Approve: []int{1}}},
		{voting("approval", 0, "a", "b", "c"), secret.Choice{}, secret.Choice{Approve: []int{0, 1, 2}}},
		{voting("schulze", 0, "a", "b", "c", "d"), secret.Choice{Ranks: []int{2, 1, 2, 0}}, secret.Choice{Ranks: []int{1, 2, 3, 4}}},
	}
	bv, bc := schulze10(key)
	dir := t.TempDir()
	input, _ := json.Marshal(map[string]any{"cases": cases, "bench": map[string]any{"voting": bv, "choice": bc, "runs": 3}})
	doc := secretTallyDoc(t)
	files := map[string][]byte{"s.js": []byte(secretJS), "in.json": input, "doc.json": doc}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wasm, wasmExec := buildWASM(t)
	lib, _ := filepath.Abs(filepath.Join("..", "..", "..", "static", "js", "secret_ballot.js"))
	raw, err := exec.Command(node, filepath.Join(dir, "s.js"), wasmExec, wasm, lib, filepath.Join(dir, "in.json"), filepath.Join(dir, "doc.json")).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, raw)
	}
	var out struct {
		Cast     []secret.Ballot `json:"cast"`
		Errors   []string        `json:"errors"`
		BenchMS  float64         `json:"bench_ms"`
		BenchCPU float64         `json:"bench_cpu_ms"`
		Report   proof.Report    `json:"report"`
		Bad      proof.Report    `json:"bad_report"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("node printed %s: %v", raw, err)
	}
	if len(out.Errors) > 0 || len(out.Cast) != len(cases) {
		t.Fatalf("in Node: %v; %d ballots cast for %d cases", out.Errors, len(out.Cast), len(cases))
	}
	for k, c := range cases {
		t.Run(fmt.Sprintf("%s %d", c.Voting.Ballot.Method, k), func(t *testing.T) {
			b := out.Cast[k]
			if err := c.Voting.Verify(b); err != nil {
				t.Fatalf("native verifier: %v", err)
			}
			want, _ := c.Voting.Ballot.Vector(c.Choice)
			for i, ct := range b.Ciphertexts {
				if m := secret.Decrypt(x, ct); !m.Equal(map[bool]secret.Point{true: secret.Generator(), false: secret.Identity()}[want[i] == 1]) {
					t.Fatalf("ciphertext %d does not decrypt to %d", i, want[i])
				}
			}
		})
	}
	t.Logf("Node.js WebAssembly: encrypt and prove a 10-option Schulze ballot: %.0f ms (%.0f ms CPU)", out.BenchMS, out.BenchCPU)
	if r := out.Report; !r.OK || r.Kind != proof.SecretKind || len(r.Checks) != secret.Checks || string(r.Counts) != `{"totals":{"abstain":0,"no":3,"yes":3}}` {
		t.Errorf("koinonVerify of a secret tally: %+v", r)
	}
	if r := out.Bad; r.OK || len(r.Checks) != secret.CheckCounts || r.Checks[secret.CheckCounts-1].OK || r.Counts != nil {
		t.Errorf("koinonVerify of a secret tally with changed counts: %+v", r)
	}
}

// secretTallyDoc wraps the majority record of internal/secret's vectors in
// a koinon-secret-tally/1 document.
func secretTallyDoc(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "secret", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Elections []struct{ Record json.RawMessage }
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	doc, _ := json.Marshal(map[string]any{"format": secret.Format, "record": v.Elections[0].Record,
		"ballot": secret.Definition{ID: "ballot-7", Method: "majority", Options: options("yes", "no", "abstain")}})
	return doc
}

const chromiumPath = "/usr/bin/chromium"

// BenchmarkChromiumPrepareSchulze10 encrypts and proves a 10-option
// Schulze ballot in headless Chromium, through secret_ballot.js, on a page
// served by a test server. Skipped without Chromium unless
// KOINON_REQUIRE_BROWSER=1.
func BenchmarkChromiumPrepareSchulze10(b *testing.B) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("KOINON_REQUIRE_BROWSER") == "1" {
			b.Fatalf("KOINON_REQUIRE_BROWSER=1 but %s is missing", chromiumPath)
		}
		b.Skip("no " + chromiumPath)
	}
	wasm, wasmExec := buildWASM(b)
	_, key, err := secret.NewKeyPair(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	v, c := schulze10(key)
	args, _ := json.Marshal([]any{v, c})
	lib, _ := filepath.Abs(filepath.Join("..", "..", "..", "static", "js", "secret_ballot.js"))
	mux := http.NewServeMux()
	for path, file := range map[string]string{"/wasm_exec.js": wasmExec, "/koinon.wasm": wasm, "/secret_ballot.js": lib} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, file) })
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>bench</title><script src="/wasm_exec.js"></script><script src="/secret_ballot.js"></script>
<script>const go = new Go(); WebAssembly.instantiateStreaming(fetch("/koinon.wasm"), go.importObject).then((r) => { go.run(r.instance); window.ready = true; });</script>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"), chromedp.UserDataDir(b.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	defer cancelTimeout()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.Poll[chromedp.Void](`window.ready === true`)); err != nil {
		b.Fatal(err)
	}
	prepare := fmt.Sprintf(`(() => { const a = %s; const t0 = performance.now();
  const p = KoinonSecretBallot.prepare(a[0], a[1]); return [performance.now() - t0, p.ballot.ciphertexts.length]; })()`, args)
	var inPage float64
	for b.Loop() {
		r, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](prepare))
		if err != nil {
			b.Fatal(err)
		}
		if r[1] != 90 {
			b.Fatalf("%v ciphertexts, want 90", r[1])
		}
		inPage += r[0]
	}
	b.ReportMetric(inPage/float64(b.N), "page-ms/op")
}
