//go:build js && wasm

package main

import (
	"encoding/base64"
	"fmt"
	"syscall/js"

	"koinon/internal/receipt"
)

// deviceRequest is the JSON argument of koinonDevice; each operation reads
// the members it needs.
type deviceRequest struct {
	Envelope   string         `json:"envelope"` // JSON text
	Nonce      string         `json:"nonce"`
	VKey       string         `json:"vkey"`
	Origin     string         `json:"origin"`
	Kept       string         `json:"kept"`       // a checkpoint (signed note)
	Checkpoint string         `json:"checkpoint"` // a checkpoint (signed note)
	Proof      []string       `json:"proof"`      // hex hashes
	Index      int64          `json:"index"`
	Size       int64          `json:"size"`
	At         int            `json:"at"`
	Entry      []byte         `json:"entry"`  // base64
	Bundle     []byte         `json:"bundle"` // base64
	Document   string         `json:"document"`
	Handle     string         `json:"handle"`
	Receipts   []receipt.Kept `json:"receipts"`
}

// registerDevice exposes the checks of a citizen's device
// (internal/receipt) as koinonDevice(op, requestJSON), which returns JSON
// text, {"error": "…"} on a refusal (static/js/device.js wraps it):
//
//	entry     {envelope, nonce}                          → {"entry": base64}
//	advance   {vkey, origin, kept, checkpoint, proof}    → {"size", "root"}
//	included  {vkey, origin, checkpoint, index, entry, proof} → {"ok": true}
//	sealed    {document, vkey, handle, receipts}          → receipt.Sealed
//	bundle    {size, index}                               → {"path", "at"}
//	entryin   {bundle, at}                                → {"entry": base64}
func registerDevice() {
	js.Global().Set("koinonDevice", js.FuncOf(func(_ js.Value, args []js.Value) any {
		var req deviceRequest
		err := decodeArg(args, 1, "request", &req)
		var out any
		if err == nil {
			out, err = deviceOp(args[0].String(), req)
		}
		if err != nil {
			out = struct {
				Error string `json:"error"`
			}{err.Error()}
		}
		return marshal(out)
	}))
}

func deviceOp(op string, req deviceRequest) (any, error) {
	switch op {
	case "entry":
		e, err := receipt.Entry([]byte(req.Envelope), req.Nonce)
		return map[string]string{"entry": base64.StdEncoding.EncodeToString(e)}, err
	case "advance":
		cp, err := receipt.Advance(req.VKey, req.Origin, []byte(req.Kept), []byte(req.Checkpoint), req.Proof)
		return map[string]any{"size": cp.Size, "root": cp.Root.String()}, err
	case "included":
		return okResult, receipt.Included(req.VKey, req.Origin, []byte(req.Checkpoint), req.Index, req.Entry, req.Proof)
	case "sealed":
		return receipt.CheckSealed([]byte(req.Document), req.VKey, req.Handle, req.Receipts)
	case "bundle":
		path, at, err := receipt.BundleOf(req.Size, req.Index)
		return map[string]any{"path": path, "at": at}, err
	case "entryin":
		e, err := receipt.EntryIn(req.Bundle, req.At)
		return map[string]string{"entry": base64.StdEncoding.EncodeToString(e)}, err
	}
	return nil, fmt.Errorf("unknown operation %q", op)
}
