package main

import (
	"path/filepath"
	"testing"
)

// deviceJS runs koinonDevice on the community-log vectors: the receipt of
// entry 2 checks, another entry's bytes do not, and a checkpoint under
// another key is refused.
const deviceJS = `
  const run = (op, req) => JSON.parse(koinonDevice(op, JSON.stringify(req)));
  const b64 = (s) => Buffer.from(s).toString("base64");
  const inc = {vkey: v.log_vkey, origin: v.origin, checkpoint: v.checkpoint, index: 2, proof: v.inclusion_proof.hashes};
  console.log(JSON.stringify(run("included", Object.assign({entry: b64(v.entries[2])}, inc))));
  console.log(run("included", Object.assign({entry: b64(v.entries[3])}, inc)).error.includes("inclusion proof does not verify"));
  console.log(JSON.stringify(run("advance", {vkey: v.log_vkey, origin: v.origin, kept: "", checkpoint: v.checkpoint, proof: []}).size));
  console.log(run("advance", {vkey: v.witness_vkey, origin: v.origin, kept: "", checkpoint: v.checkpoint, proof: []}).error.includes("not signed by the log's key"));
  console.log(JSON.stringify(run("bundle", {size: 5, index: 2})));
  console.log(run("nonsense", {}).error);
`

// TestWASMDeviceChecks builds the WebAssembly module and runs its device
// checks (internal/receipt) in Node.js (skipped without node).
func TestWASMDeviceChecks(t *testing.T) {
	out := nodeWASM(t, deviceJS, filepath.Join("..", "..", "clog", "testdata", "vectors.json"))
	want := "{\"ok\":true}\ntrue\n5\ntrue\n{\"at\":2,\"path\":\"tile/entries/000.p/5\"}\nunknown operation \"nonsense\""
	if out != want {
		t.Errorf("node printed\n%s\nwant\n%s", out, want)
	}
}
