// Package statement owns the signed statements a citizen's device (or a board
// member's, or the server for a custodial key) makes: their canonical bytes,
// Ed25519 signatures, the per-citizen hash chain, key registration and
// revocation, and the vote commitment that hides a choice until the ballot
// closes. docs/spec/statements.md documents every byte.
//
// It is pure: standard library and internal/proof's canonical JSON only; no
// database, HTTP, clock or randomness except through arguments. Every
// verification failure matches one exported Err value with errors.Is, so a
// server can name the problem in its 422 answer.
package statement
