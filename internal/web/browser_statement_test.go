package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"koinon/internal/store/storetest"
)

// statementVectorsJS checks static/js/statement.js in the page against the
// koinon-statement/1 vectors (the argument): canonical bytes of every
// statement and envelope whatever the member order, the signed message,
// the envelope hash, key ids, and the Ed25519 signatures WebCrypto makes
// with the vectors' seeds (RFC 8032 signatures are deterministic). It
// returns "ok" or the failures, one per line.
const statementVectorsJS = `(async (v) => {
  const S = window.KoinonStatement, bad = [];
  // Reverse every object's member order, so canonicalisation must sort.
  const shuffle = (x) => Array.isArray(x) ? x.map(shuffle) : (x && typeof x === "object")
    ? Object.fromEntries(Object.keys(x).reverse().map((k) => [k, shuffle(x[k])])) : x;
  const keys = {};
  for (const k of v.keys) {
    const pkcs8 = new Uint8Array([0x30,0x2e,0x02,0x01,0x00,0x30,0x05,0x06,0x03,0x2b,0x65,0x70,0x04,0x22,0x04,0x20,
      ...k.seed.match(/../g).map((h) => parseInt(h, 16))]);
    keys[k.key_id] = await crypto.subtle.importKey("pkcs8", pkcs8, {name: "Ed25519"}, false, ["sign"]);
    const id = await S.keyID(S.unbase64(k.public_key));
    if (id !== k.key_id) bad.push(k.name + ": key id " + id);
  }
  for (const t of v.statements) {
    const st = shuffle(JSON.parse(t.statement)), env = shuffle(JSON.parse(t.envelope));
    if (S.canonicalize(st) !== t.statement) bad.push(t.name + ": statement bytes " + S.canonicalize(st));
    if (S.hex(S.signedMessage(st)) !== t.signed_message_hex) bad.push(t.name + ": signed message");
    if (S.canonicalize(env) !== t.envelope) bad.push(t.name + ": envelope bytes");
    if (await S.envelopeHash(env) !== t.envelope_sha256) bad.push(t.name + ": envelope hash");
    const signed = await S.sign(st, keys[st.key]);
    if (signed.signature !== env.signature) bad.push(t.name + ": signature " + signed.signature);
    if (env.old_signature) {
      const old = await S.sign(st, keys[st.content.old_key]);
      if (old.signature !== env.old_signature) bad.push(t.name + ": old signature");
    }
    // A changed statement must not keep the signature.
    const other = Object.assign({}, st, {at: "2030-01-01T00:00:00Z"});
    if ((await S.sign(other, keys[st.key])).signature === env.signature) bad.push(t.name + ": a changed statement kept its signature");
  }
  for (const [what, x] of [["a fraction", {a: 1.5}], ["an undefined member", {a: undefined}], ["a number beyond 2^53", {a: 2 ** 53}]]) {
    try { S.canonicalize(x); bad.push("canonicalised " + what); } catch (e) { /* refused */ }
  }
  if (S.canonicalize({"é": 1, "z": [true, null, "\u2028\n"], "a": {}}) !== '{"a":{},"z":[true,null,"\u2028\\n"],"é":1}') bad.push("JCS order or escapes: " + S.canonicalize({"é": 1, "z": [true, null, "\u2028\n"], "a": {}}));
  if (S.nowUTC(new Date(Date.UTC(2026, 11, 5, 10, 1, 2, 345))) !== "2026-12-05T10:01:02Z") bad.push("time " + S.nowUTC(new Date(Date.UTC(2026, 11, 5, 10, 1, 2, 345))));
  return bad.length ? bad.join("\n") : "ok";
})`

// TestBrowserStatementVectors runs static/js/statement.js in Chromium on
// the checked-in koinon-statement/1 vectors: the browser makes the same
// bytes and signatures as internal/statement and koinon client.
func TestBrowserStatementVectors(t *testing.T) {
	vectors, err := os.ReadFile(filepath.Join("..", "statement", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	ts := newServer(t, storetest.SQLite(t))
	browse(t, ctx, "load statement.js",
		chromedp.Navigate(ts.URL+"/verify"),
		chromedp.Evaluate[chromedp.Void](`new Promise((ok, fail) => { const s = document.createElement("script");
			s.src = "/static/js/statement.js"; s.onload = ok; s.onerror = fail; document.head.appendChild(s); })`, chromedp.EvalAwaitPromise))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](statementVectorsJS+"("+string(vectors)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if got != "ok" {
		t.Errorf("statement.js against the vectors:\n%s", strings.TrimSpace(got))
	}
}
