// Package secret is the cryptographic core of secret ballots: exponential
// ElGamal over ristretto255 (RFC 9496), Chaum–Pedersen proofs (0/1, range and
// DLEQ, disjunctive as in ElectionGuard 2.0, with strong Fiat–Shamir), a
// Pedersen distributed key generation with Feldman commitments, threshold
// decryption, the weighted homomorphic tally and its numbered verifier.
//
// The package is pure: no database, HTTP, clock or global randomness (every
// random value comes from an io.Reader the caller passes). It builds for
// GOOS=js so that the browser encrypts and verifies with the same code.
// docs/spec/secret-ballot.md gives the exact encodings and hash inputs.
package secret
