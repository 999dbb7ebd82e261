// Secret ballots on the voter's device (docs/spec/secret-ballot.md §10).
// Encryption, proofs and the Benaloh challenge run in the WebAssembly
// module (internal/proof/wasm), the same Go code as the server's checks;
// this file only keeps the opening away from what is cast. The page loads
// wasm_exec.js and the module first, as the verify page does.
//
//   var p = KoinonSecretBallot.prepare(voting, choice);
//   p.ballot          // the encrypted ballot with its proofs (public)
//   p.fingerprint     // SHA-256 of its canonical JSON: the cast receipt
//   p.audit()         // Benaloh challenge: {choice, opening}; p can no longer be cast
//   p.castJSON()      // the ballot to send; the opening is forgotten
//   KoinonSecretBallot.verify(voting, ballot)   // throws if a proof fails
(function (global) {
  "use strict";

  // call runs a module function on JSON arguments and returns its decoded
  // answer, throwing its {"error"} as an Error.
  function call(name, args) {
    var fn = global[name];
    if (typeof fn !== "function") {
      throw new Error("the Koinon WebAssembly module is not loaded");
    }
    var out = JSON.parse(fn.apply(null, args.map(function (a) { return JSON.stringify(a); })));
    if (out.error) {
      throw new Error(out.error);
    }
    return out;
  }

  // prepare encrypts and proves choice ({option}, {approve} or {ranks}) for
  // voting ({ballot: {id, method, options, max_approvals}, key, voter}).
  function prepare(voting, choice) {
    var made = call("koinonSecretPrepare", [voting, choice]);
    var opening = made.opening;
    var state = "prepared";
    return {
      ballot: made.ballot,
      // fingerprint is the ballot's receipt (proof.SecretBallotHash):
      // the server answers a cast with the same hash.
      fingerprint: made.fingerprint,
      // audit reveals the opening and checks that the ballot encrypts
      // choice; the ballot is then spent: prepare a fresh one to vote.
      audit: function () {
        if (state !== "prepared") {
          throw new Error("this ballot was already " + state);
        }
        state = "audited";
        var revealed = opening;
        opening = null;
        call("koinonSecretAudit", [voting, made.ballot, revealed, choice]);
        return { choice: choice, opening: revealed };
      },
      // castJSON returns the ballot to submit and forgets the opening, which
      // would otherwise prove the vote to a coercer.
      castJSON: function () {
        if (state !== "prepared") {
          throw new Error("this ballot was already " + state + " and cannot be cast");
        }
        state = "cast";
        opening = null;
        return JSON.stringify(made.ballot);
      },
    };
  }

  function verify(voting, ballot) {
    call("koinonSecretVerifyBallot", [voting, ballot]);
  }

  global.KoinonSecretBallot = { prepare: prepare, verify: verify };
})(typeof window !== "undefined" ? window : globalThis);
