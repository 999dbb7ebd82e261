package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// deviceJS runs koinonDevice on the community-log vectors: the receipt of
// entry 2 checks, another entry's bytes do not, and a checkpoint under
// another key is refused.
const deviceJS = `
require(process.argv[2]);
const fs = require("fs");
const go = new Go();
WebAssembly.instantiate(fs.readFileSync(process.argv[3]), go.importObject).then((r) => {
  go.run(r.instance);
  const v = JSON.parse(fs.readFileSync(process.argv[4]));
  const run = (op, req) => JSON.parse(koinonDevice(op, JSON.stringify(req)));
  const b64 = (s) => Buffer.from(s).toString("base64");
  const inc = {vkey: v.log_vkey, origin: v.origin, checkpoint: v.checkpoint, index: 2, proof: v.inclusion_proof.hashes};
  console.log(JSON.stringify(run("included", Object.assign({entry: b64(v.entries[2])}, inc))));
  console.log(run("included", Object.assign({entry: b64(v.entries[3])}, inc)).error.includes("inclusion proof does not verify"));
  console.log(JSON.stringify(run("advance", {vkey: v.log_vkey, origin: v.origin, kept: "", checkpoint: v.checkpoint, proof: []}).size));
  console.log(run("advance", {vkey: v.witness_vkey, origin: v.origin, kept: "", checkpoint: v.checkpoint, proof: []}).error.includes("not signed by the log's key"));
  console.log(run("nonsense", {}).error);
  process.exit(0);
});
`

// TestWASMDeviceChecks builds the WebAssembly module and runs its device
// checks (internal/receipt) in Node.js (skipped without node).
func TestWASMDeviceChecks(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	if testing.Short() {
		t.Skip("builds the WebAssembly module")
	}
	wasm, wasmExec := buildWASM(t)
	script := filepath.Join(t.TempDir(), "d.js")
	if err := os.WriteFile(script, []byte(deviceJS), 0o644); err != nil {
		t.Fatal(err)
	}
	vectors, _ := filepath.Abs(filepath.Join("..", "..", "clog", "testdata", "vectors.json"))
	out, err := exec.Command(node, script, wasmExec, wasm, vectors).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	want := "{\"ok\":true}\ntrue\n5\ntrue\nunknown operation \"nonsense\""
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("node printed\n%s\nwant\n%s", got, want)
	}
}
