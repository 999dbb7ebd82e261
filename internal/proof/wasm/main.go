//go:build js && wasm

// Command wasm is the browser verifier: it exposes proof.Verify and
// proof.VerifyReceipt to JavaScript, so the /verify page checks a proof on
// the auditor's machine with the same code as `koinon verify`. For secret
// ballots it also encrypts and proves on the voter's device
// (static/js/secret_ballot.js wraps these; docs/spec/secret-ballot.md §10).
//
// Build: GOOS=js GOARCH=wasm go build -o static/wasm/koinon-verify.wasm ./internal/proof/wasm
//
// Both functions return the JSON of a proof.Report (for a proof 2, of a
// proof2.Report: the same members plus custodial_weight, counted_weight
// and cosignatures).
//
//	koinonVerify(text, keyB64[, logVKey])           // a proof (1 or 2), a receipt alone or a secret tally
//	koinonVerifyReceipt(text, proofTextOrEmpty, keyB64)
//
// The secret-ballot functions take and return JSON text; a refusal is
// {"error": "…"}. Randomness comes from crypto/rand, which is
// crypto.getRandomValues under js/wasm.
//
//	koinonSecretPrepare(voting, choice)                 // {"ballot", "opening", "fingerprint"}
//	koinonSecretAudit(voting, ballot, opening, choice)  // {"ok": true}
//	koinonSecretVerifyBallot(voting, ballot)            // {"ok": true}
//
// koinonDevice(op, request) runs the checks a citizen's device makes of
// its receipts (device.go, internal/receipt; static/js/device.js).
package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"syscall/js"

	"koinon/internal/keyring"
	"koinon/internal/proof"
	"koinon/internal/proof2"
	"koinon/internal/secret"
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
	js.Global().Set("koinonSecretPrepare", secretFunc(func(v secret.Voting, args []js.Value) (any, error) {
		var c secret.Choice
		if err := decodeArg(args, 1, "choice", &c); err != nil {
			return nil, err
		}
		b, o, err := v.Prepare(rand.Reader, c)
		var fp string
		if err == nil {
			fp, err = proof.SecretBallotHash(b)
		}
		return struct {
			Ballot      secret.Ballot  `json:"ballot"`
			Opening     secret.Opening `json:"opening"`
			Fingerprint string         `json:"fingerprint"`
		}{b, o, fp}, err
	}))
	js.Global().Set("koinonSecretAudit", secretFunc(func(v secret.Voting, args []js.Value) (any, error) {
		var b secret.Ballot
		var o secret.Opening
		var c secret.Choice
		for k, dst := range []any{&b, &o, &c} {
			if err := decodeArg(args, k+1, []string{"ballot", "opening", "choice"}[k], dst); err != nil {
				return nil, err
			}
		}
		return okResult, v.Audit(b, o, c)
	}))
	js.Global().Set("koinonSecretVerifyBallot", secretFunc(func(v secret.Voting, args []js.Value) (any, error) {
		var b secret.Ballot
		if err := decodeArg(args, 1, "ballot", &b); err != nil {
			return nil, err
		}
		return okResult, v.Verify(b)
	}))
	registerDevice()
	select {} // keep the functions alive
}

var okResult = struct {
	OK bool `json:"ok"`
}{true}

// secretFunc decodes the voting parameters (first argument) and returns
// fn's result, or {"error": …}, as JSON text.
func secretFunc(fn func(v secret.Voting, args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		var v secret.Voting
		err := decodeArg(args, 0, "voting", &v)
		var out any
		if err == nil {
			out, err = fn(v, args)
		}
		if err != nil {
			out = struct {
				Error string `json:"error"`
			}{err.Error()}
		}
		return marshal(out)
	})
}

// stringArg reads argument k, a string, into dst.
func stringArg(args []js.Value, k int, name string, dst *string) error {
	if len(args) <= k || args[k].Type() != js.TypeString {
		return fmt.Errorf("%s: want a string as argument %d", name, k+1)
	}
	*dst = args[k].String()
	return nil
}

// decodeArg decodes argument k, JSON text, into dst.
func decodeArg(args []js.Value, k int, name string, dst any) error {
	var text string
	if err := stringArg(args, k, name, &text); err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(text), dst); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
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
