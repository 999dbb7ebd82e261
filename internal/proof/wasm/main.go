//go:build js && wasm

// Command wasm is the browser verifier: it exposes proof.Verify and
// proof.VerifyReceipt to JavaScript, so the /verify page checks a proof on
// the auditor's machine with the same code as `koinon verify`.
//
// Build: GOOS=js GOARCH=wasm go build -o static/wasm/koinon-verify.wasm ./internal/proof/wasm
//
// Both functions return the JSON of a proof.Report (for a proof 2, of a
// proof2.Report: the same members plus custodial_weight, counted_weight
// and cosignatures).
//
//	koinonVerify(text, keyB64[, logVKey])           // a proof (1 or 2), or a receipt alone
//	koinonVerifyReceipt(text, proofTextOrEmpty, keyB64)
package main

import (
	"encoding/json"
	"syscall/js"

	"koinon/internal/keyring"
	"koinon/internal/proof"
	"koinon/internal/proof2"
)

func main() {
	js.Global().Set("koinonVerify", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return run(args, 1, func(text string, key []byte) any {
			if proof.Detect([]byte(text)) == proof2.Format {
				opts := proof2.Options{PlatformKey: key}
				if len(args) > 2 && args[2].Type() == js.TypeString {
					opts.LogKey = args[2].String()
				}
				return proof2.Verify([]byte(text), opts)
			}
			return proof.VerifyAny([]byte(text), key)
		})
	}))
	js.Global().Set("koinonVerifyReceipt", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return run(args, 2, func(text string, key []byte) any {
			var pr []byte
			if len(args) > 1 && args[1].Type() == js.TypeString && args[1].String() != "" {
				pr = []byte(args[1].String())
			}
			return proof.VerifyReceipt([]byte(text), pr, key)
		})
	}))
	select {} // keep the functions alive
}

// run reads the text (first argument) and the optional trusted key (at
// keyArg), verifies, and returns the report as JSON text.
func run(args []js.Value, keyArg int, verify func(text string, key []byte) any) string {
	if len(args) == 0 || args[0].Type() != js.TypeString {
		return report(proof.Report{Error: "no document given"})
	}
	var key []byte
	if len(args) > keyArg && args[keyArg].Type() == js.TypeString && args[keyArg].String() != "" {
		k, err := keyring.ParsePublicKey(args[keyArg].String())
		if err != nil {
			return report(proof.Report{Error: "trusted key: " + err.Error()})
		}
		key = k
	}
	return report(verify(args[0].String(), key))
}

func report(r any) string {
	switch r := r.(type) {
	case proof.Report:
		if r.Checks == nil {
			r.Checks = []proof.Check{}
		}
		return marshal(r)
	case proof2.Report:
		if r.Checks == nil {
			r.Checks = []proof.Check{}
		}
		return marshal(r)
	}
	return marshal(r)
}

func marshal(r any) string {
	b, err := json.Marshal(r)
	if err != nil {
		return `{"ok":false,"error":"cannot encode the report"}`
	}
	return string(b)
}
