//go:build js && wasm

package main

import (
	"crypto/rand"
	"encoding/base64"
	"syscall/js"

	"koinon/internal/trustee"
)

// The trustee page's functions (internal/trustee, docs/ballots.md
// "Trustees"): each takes the ballot's transcript (GET
// /api/v1/ballots/{id}/secret, JSON text), the trustee's seed (base64)
// and the community slug, and returns {"content": …}, the content of the
// statement to send, or {"error": …}.
//
//	koinonTrusteeStep(transcript, seed, community)     // the key-generation step due
//	koinonTrusteeDecrypt(transcript, seed, community)  // the decryption share
func init() {
	js.Global().Set("koinonTrusteeStep", trusteeFunc(func(d trustee.Device, t *trustee.Transcript) (any, error) {
		return d.Step(rand.Reader, t)
	}))
	js.Global().Set("koinonTrusteeDecrypt", trusteeFunc(func(d trustee.Device, t *trustee.Transcript) (any, error) {
		return d.Decrypt(rand.Reader, t)
	}))
}

func trusteeFunc(fn func(trustee.Device, *trustee.Transcript) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		var t trustee.Transcript
		err := decodeArg(args, 0, "transcript", &t)
		var d trustee.Device
		var seed string
		if err == nil {
			err = stringArg(args, 1, "seed", &seed)
		}
		if err == nil {
			d.Seed, err = base64.StdEncoding.DecodeString(seed)
		}
		if err == nil {
			err = stringArg(args, 2, "community", &d.Community)
		}
		var content any
		if err == nil {
			content, err = fn(d, &t)
		}
		if err != nil {
			return marshal(struct {
				Error string `json:"error"`
			}{err.Error()})
		}
		return marshal(struct {
			Content any `json:"content"`
		}{content})
	})
}
