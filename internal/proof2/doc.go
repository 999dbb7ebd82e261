// Package proof2 owns tally proofs of format koinon-tally-proof/2
// (docs/spec/proof-2.md) for public ballots: a proof/1 count (ballot,
// electorate, votes, root, tiebreak, result) together with the evidence
// behind it — the close checkpoint of the community log, and every log
// entry of every citizen on the roll with its inclusion proof — so that a
// verifier recomputes each effective delegation list and each vote from
// statements the citizens signed, and the result from those.
//
// It is pure: internal/proof, internal/statement, internal/clog and
// internal/tally only; no database, HTTP, file system or clock. Build makes
// a proof from its inputs; Verify runs the numbered checks; VerifyLog adds
// the checks of a replay of the whole log. The WebAssembly verifier calls
// the same functions.
package proof2
