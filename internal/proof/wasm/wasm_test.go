package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// verifyJS checks the proof-2 vectors: once as sealed, once with the
// custodial weight changed.
const verifyJS = `
  const text = JSON.stringify(v.proof);
  const ok = JSON.parse(koinonVerify(text, v.platform_key, v.log.vkey));
  console.log(ok.ok, ok.checks.length, ok.custodial_weight, ok.counted_weight);
  const bad = JSON.parse(koinonVerify(text.replace('"custodial_weight":1', '"custodial_weight":0'), v.platform_key, ""));
  const last = bad.checks[bad.checks.length - 1];
  console.log(bad.ok, last.n, last.name);
`

// TestWASMVerifiesProof2 builds the WebAssembly verifier and runs it in
// Node.js (skipped without node) on the proof-2 test vectors.
func TestWASMVerifiesProof2(t *testing.T) {
	out := nodeWASM(t, verifyJS, filepath.Join("..", "..", "proof2", "testdata", "vectors.json"))
	if want := "true 8 1 5\nfalse 7 result"; out != want {
		t.Errorf("node printed\n%s\nwant\n%s", out, want)
	}
}

// nodeJS starts the WebAssembly module in Node.js (its functions are
// then globals) and runs a script body, which sees the JSON file given
// as v.
const nodeJS = `
require(process.argv[2]);
const fs = require("fs");
const go = new Go();
WebAssembly.instantiate(fs.readFileSync(process.argv[3]), go.importObject).then((r) => {
  go.run(r.instance);
  const v = JSON.parse(fs.readFileSync(process.argv[4]));
  %s
  process.exit(0);
});
`

// nodeWASM builds the module, runs body (nodeJS) on the JSON file at
// vectors in Node.js and returns what it printed, trimmed. It skips the
// test without node or with -short.
func nodeWASM(t *testing.T, body, vectors string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	if testing.Short() {
		t.Skip("builds the WebAssembly module")
	}
	wasm, wasmExec := buildWASM(t)
	script := filepath.Join(t.TempDir(), "run.js")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(nodeJS, body)), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(vectors)
	out, err := exec.Command(node, script, wasmExec, wasm, abs).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// buildWASM builds the module into a temporary folder and returns its path
// and that of the toolchain's wasm_exec.js.
func buildWASM(t testing.TB) (wasm, wasmExec string) {
	t.Helper()
	wasm = filepath.Join(t.TempDir(), "koinon.wasm")
	build := exec.Command("go", "build", "-o", wasm, ".")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	return wasm, filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")
}
