// Package proof owns Koinon's tally proofs (shared/spec/proof.md): RFC 8785
// canonical JSON, the RFC 6962 Merkle tree over the vote leaves, the proof
// document and its strict parser, sealing with Ed25519, receipts, and the six
// numbered checks of verification. One Verify serves `koinon verify`, the
// WebAssembly verifier (./wasm) and the tests.
//
// It imports the tally engine and the standard library only: no database,
// HTTP or file system, so that it compiles to WebAssembly unchanged.
//
// The parser is hand-written for speed (a million-voter document is about
// 80 MB): it decodes straight into typed structs, rejects anything the
// format does not allow (unknown or repeated fields, fractions, integers
// beyond ±(2^53−1), invalid UTF-8), and names the field and entry of every
// error, e.g. "electorate[4].weight: must be an integer ≥ 1". Input that is
// not JSON at all gives a *SyntaxError, anything else a *FieldError.
package proof
