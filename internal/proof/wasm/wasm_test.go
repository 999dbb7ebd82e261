package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// verifyJS loads the verifier in Node.js and checks the proof-2 vectors:
// once as sealed, once with the custodial weight changed.
const verifyJS = `
require(process.argv[2]);
const fs = require("fs");
const go = new Go();
WebAssembly.instantiate(fs.readFileSync(process.argv[3]), go.importObject).then((r) => {
  go.run(r.instance);
  const v = JSON.parse(fs.readFileSync(process.argv[4]));
  const text = JSON.stringify(v.proof);
  const ok = JSON.parse(koinonVerify(text, v.platform_key, v.log.vkey));
  console.log(ok.ok, ok.checks.length, ok.custodial_weight, ok.counted_weight);
  const bad = JSON.parse(koinonVerify(text.replace('"custodial_weight":1', '"custodial_weight":0'), v.platform_key, ""));
  const last = bad.checks[bad.checks.length - 1];
  console.log(bad.ok, last.n, last.name);
  process.exit(0);
});
`

// TestWASMVerifiesProof2 builds the WebAssembly verifier and runs it in
// Node.js (skipped without node) on the proof-2 test vectors.
func TestWASMVerifiesProof2(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	if testing.Short() {
		t.Skip("builds the WebAssembly module")
	}
	wasm, wasmExec := buildWASM(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "v.js")
	if err := os.WriteFile(script, []byte(verifyJS), 0o644); err != nil {
		t.Fatal(err)
	}
	vectors, _ := filepath.Abs(filepath.Join("..", "..", "proof2", "testdata", "vectors.json"))
	out, err := exec.Command(node, script, wasmExec, wasm, vectors).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "true 8 1 5\nfalse 7 result"; got != want {
		t.Errorf("node printed\n%s\nwant\n%s", got, want)
	}
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
