// koinonStartWASM(url) starts the Koinon WebAssembly module (the Go
// runtime of wasm_exec.js must be loaded first) and resolves once its
// functions are defined. Shared by the verify, voting and trustee pages.
(function (global) {
  "use strict";

  global.koinonStartWASM = function (url) {
    if (typeof Go === "undefined") {
      return Promise.reject(new Error("wasm_exec.js is not loaded"));
    }
    var go = new Go();
    var fromBytes = function () {
      // Served without the application/wasm type: compile from bytes.
      return fetch(url).then(function (r) { return r.arrayBuffer(); })
        .then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
    };
    var start = WebAssembly.instantiateStreaming
      ? WebAssembly.instantiateStreaming(fetch(url), go.importObject).catch(fromBytes)
      : fromBytes();
    return start.then(function (result) {
      go.run(result.instance); // never resolves: the module keeps its functions alive
    });
  };
})(window);
