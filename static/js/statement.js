// koinon-statement/1 in the browser (docs/spec/statements.md): RFC 8785
// (JCS) canonical JSON, the bytes a device signs, the envelope hash that
// chains a citizen's statements, and key ids. The same bytes as
// internal/statement and `koinon client`; TestBrowserStatementVectors
// checks them against internal/statement/testdata/vectors.json in
// Chromium. Only the byte layout lives here: every check of a log,
// receipt or proof runs in the WebAssembly module (internal/receipt).
(function (global) {
  "use strict";

  var MAX_SAFE = 9007199254740991;

  // canonicalize returns the JCS text of a JSON value. Koinon's JSON has
  // integers only, within ±(2^53−1) (statements.md, "Conventions").
  function canonicalize(v) {
    if (v === null || typeof v === "boolean" || typeof v === "string") {
      return JSON.stringify(v);
    }
    if (typeof v === "number") {
      if (!Number.isInteger(v) || Math.abs(v) > MAX_SAFE) {
        throw new Error("JCS: not an integer within ±(2^53−1): " + v);
      }
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) {
      return "[" + v.map(canonicalize).join(",") + "]";
    }
    if (typeof v === "object") {
      // Sorting by UTF-16 code units is JavaScript's default string order.
      return "{" + Object.keys(v).sort().map(function (k) {
        if (v[k] === undefined) {
          throw new Error("JCS: undefined member " + k);
        }
        return JSON.stringify(k) + ":" + canonicalize(v[k]);
      }).join(",") + "}";
    }
    throw new Error("JCS: not JSON: " + typeof v);
  }

  var utf8 = new TextEncoder();

  // signedMessage is what a statement's signature covers:
  // "koinon/v1/statement" ‖ 0x0A ‖ canonical statement.
  function signedMessage(statement) {
    return utf8.encode("koinon/v1/statement\n" + canonicalize(statement));
  }

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function base64(buf) {
    var s = "";
    new Uint8Array(buf).forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s);
  }

  function unbase64(s) {
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  }

  // envelopeHash is the statement hash: SHA-256 of the canonical
  // envelope, as 64 hex digits (the next statement's prev).
  function envelopeHash(envelope) {
    return crypto.subtle.digest("SHA-256", utf8.encode(canonicalize(envelope))).then(hex);
  }

  // keyID is the first 16 hex digits of SHA-256 of the raw public key.
  function keyID(rawPublicKey) {
    return crypto.subtle.digest("SHA-256", rawPublicKey).then(function (h) { return hex(h).slice(0, 16); });
  }

  // sign makes the envelope of statement with an Ed25519 CryptoKey.
  function sign(statement, privateKey) {
    return crypto.subtle.sign({ name: "Ed25519" }, privateKey, signedMessage(statement)).then(function (sig) {
      return { statement: statement, signature: base64(sig), old_signature: "", custodial: false };
    });
  }

  // nowUTC is a statement time: RFC 3339, UTC, whole seconds.
  function nowUTC(date) {
    return (date || new Date()).toISOString().replace(/\.\d+Z$/, "Z");
  }

  global.KoinonStatement = {
    canonicalize: canonicalize,
    signedMessage: signedMessage,
    envelopeHash: envelopeHash,
    keyID: keyID,
    sign: sign,
    nowUTC: nowUTC,
    hex: hex,
    base64: base64,
    unbase64: unbase64
  };
})(window);
