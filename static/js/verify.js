// Browser verifier for tally proofs and receipts (templates/pages/verify.html).
// The checks run in WebAssembly (internal/proof/wasm), the same Go code as
// `koinon verify`. Everything is rendered with textContent: a proof is
// untrusted input.
(function () {
  "use strict";

  var root = document.getElementById("verify");
  if (!root) {
    return;
  }
  var $ = function (id) { return document.getElementById(id); };
  var status = $("verify-status");
  var state = { text: "", proofText: "", name: "" };
  var ready = false;

  function setStatus(msg) {
    status.textContent = msg;
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) {
      e.textContent = text;
    }
    if (cls) {
      e.className = cls;
    }
    return e;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  // Load the Go runtime and the verifier module.
  function load() {
    if (typeof Go === "undefined") {
      setStatus("The verifier could not start: wasm_exec.js did not load.");
      return;
    }
    var go = new Go();
    var url = root.getAttribute("data-wasm");
    var start = WebAssembly.instantiateStreaming
      ? WebAssembly.instantiateStreaming(fetch(url), go.importObject).catch(function () {
        // Served without the application/wasm type: compile from bytes.
        return fetch(url).then(function (r) { return r.arrayBuffer(); })
          .then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
      })
      : fetch(url).then(function (r) { return r.arrayBuffer(); })
        .then(function (b) { return WebAssembly.instantiate(b, go.importObject); });
    start.then(function (result) {
      go.run(result.instance); // never resolves: the module keeps its functions alive
      ready = true;
      setStatus("Ready. Choose a proof or receipt file.");
      fromQuery();
    }).catch(function (err) {
      setStatus("The verifier could not start: " + err);
    });
  }

  // Prefill the trusted key with this site's published key.
  function prefillKey() {
    var input = $("verify-key");
    fetch("/.well-known/koinon-key", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (k) {
        if (k && k.public_key && !input.value) {
          input.value = k.public_key;
        }
      })
      .catch(function () { /* the key stays empty: self-consistency only */ });
  }

  // ?proof=URL fetches a proof from this site (same origin only).
  function fromQuery() {
    var param = new URLSearchParams(window.location.search).get("proof");
    if (!param) {
      return;
    }
    var url;
    try {
      url = new URL(param, window.location.href);
    } catch (e) {
      setStatus("The proof address is not a URL.");
      return;
    }
    if (url.origin !== window.location.origin) {
      setStatus("Only proofs from this site can be loaded by address; download the file and choose it instead.");
      return;
    }
    setStatus("Fetching " + url.pathname + "…");
    fetch(url.href, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("HTTP " + r.status);
        }
        return r.text();
      })
      .then(function (text) {
        state.text = text;
        state.name = url.pathname;
        verify();
      })
      .catch(function (err) { setStatus("Could not fetch the proof: " + err.message); });
  }

  function readFile(input) {
    var f = input.files && input.files[0];
    return f ? f.text() : Promise.resolve("");
  }

  function isReceipt(text) {
    try {
      return JSON.parse(text).format === "koinon-receipt/1";
    } catch (e) {
      return false;
    }
  }

  function verify() {
    if (!ready) {
      setStatus("The verifier is still loading…");
      return;
    }
    if (!state.text) {
      setStatus("Choose a proof or receipt file first.");
      return;
    }
    var key = $("verify-key").value.trim();
    setStatus("Checking " + (state.name || "the file") + "…");
    var json = state.proofText && isReceipt(state.text)
      ? window.koinonVerifyReceipt(state.text, state.proofText, key)
      : window.koinonVerify(state.text, key);
    render(JSON.parse(json));
  }

  function render(rep) {
    $("verify-report").hidden = false;
    $("verify-result").hidden = true;
    $("verify-inclusion").hidden = true;
    var list = $("verify-checks");
    clear(list);
    var summary = $("verify-summary");
    if (rep.error) {
      summary.textContent = "Not a proof or receipt";
      list.appendChild(el("li", "The file cannot be read: " + rep.error, "verify-fail"));
      setStatus("Done: the file is not a proof or receipt.");
      return;
    }
    var kind = rep.kind === "receipt" ? "Receipt" : "Proof";
    summary.textContent = rep.ok
      ? kind + " verified: every check passed"
      : kind + " NOT verified: a check failed";
    rep.checks.forEach(function (c) {
      var li = el("li", null, c.ok ? "verify-ok" : "verify-fail");
      li.appendChild(el("span", c.ok ? "✓ passed" : "✗ FAILED", "verify-mark"));
      li.appendChild(document.createTextNode(" — check " + c.n + ", " + c.name + (c.reason ? ": " + c.reason : "")));
      list.appendChild(li);
    });
    var total = rep.kind === "receipt" ? (state.proofText && isReceipt(state.text) ? 5 : 4) : 6;
    if (rep.checks.length < total) {
      list.appendChild(el("li", "Later checks were not run: verification stops at the first failure.", "verify-skipped"));
    }
    if (rep.result) {
      renderResult(rep.result);
    }
    if (rep.inclusion) {
      renderInclusion(rep.inclusion);
    }
    setStatus("Done: " + summary.textContent + ".");
  }

  // Option labels from the document itself, for readable totals.
  function labels() {
    var out = {};
    try {
      var doc = JSON.parse(state.text);
      (doc.ballot && doc.ballot.options || []).forEach(function (o) { out[o.key] = o.label; });
    } catch (e) { /* keys only */ }
    return out;
  }

  function renderResult(res) {
    var names = labels();
    var name = function (k) { return names[k] ? names[k] + " (" + k + ")" : k; };
    $("verify-result").hidden = false;
    var winners = res.winners || [];
    $("verify-winners").textContent = winners.length
      ? "Winners, in order: " + winners.map(name).join(", ")
      : (res.quorum_met === false ? "No winners: the quorum was not met." : "No winners.");
    var table = $("verify-totals");
    var body = table.querySelector("tbody");
    clear(body);
    if (res.totals) {
      table.hidden = false;
      Object.keys(res.totals).forEach(function (k) {
        var tr = el("tr");
        tr.appendChild(el("th", name(k)));
        tr.lastChild.setAttribute("scope", "row");
        tr.appendChild(el("td", String(res.totals[k])));
        body.appendChild(tr);
      });
    } else {
      table.hidden = true;
    }
    var dl = $("verify-weights");
    clear(dl);
    var w = res.weights || {};
    [["eligible", "Eligible weight"], ["direct", "Voted directly"], ["delegated", "Delegated"],
      ["participating", "Participating"], ["lost", "Lost in delegation"], ["absent", "Absent"],
      ["max_weight", "Largest single carrier"]].forEach(function (p) {
      if (w[p[0]] !== undefined) {
        dl.appendChild(el("dt", p[1]));
        dl.appendChild(el("dd", String(w[p[0]])));
      }
    });
    if (res.passed !== undefined) {
      dl.appendChild(el("dt", "Passed"));
      dl.appendChild(el("dd", res.passed ? "yes" : "no"));
    }
    if (res.rounds) {
      dl.appendChild(el("dt", "Rounds"));
      dl.appendChild(el("dd", String(res.rounds.length)));
    }
    if (res.ranking) {
      dl.appendChild(el("dt", "Ranking"));
      dl.appendChild(el("dd", res.ranking.map(function (g) { return g.map(name).join(" = "); }).join(" > ")));
    }
  }

  function renderInclusion(inc) {
    $("verify-inclusion").hidden = false;
    $("verify-leaf").textContent = "Vote of " + inc.voter + " is leaf " + inc.leaf_index + " of " +
      inc.tree_size + ": " + JSON.stringify(inc.leaf) + " — leaf hash " + inc.leaf_hash;
    var body = $("verify-path").querySelector("tbody");
    clear(body);
    inc.steps.forEach(function (s, i) {
      var tr = el("tr");
      tr.appendChild(el("td", String(i + 1)));
      tr.appendChild(el("td", s.sibling, "verify-hash"));
      tr.appendChild(el("td", s.side === "left" ? "sibling on the left" : "sibling on the right"));
      tr.appendChild(el("td", s.hash, "verify-hash"));
      body.appendChild(tr);
    });
    $("verify-root").textContent = inc.root
      ? "Recomputed root " + inc.root + (inc.root === inc.votes_root ? " equals" : " DIFFERS FROM") +
        " the receipt's votes_root " + inc.votes_root + "."
      : "The path does not fit the leaf index and tree size.";
  }

  $("verify-file").addEventListener("change", function () {
    var input = this;
    readFile(input).then(function (text) {
      state.text = text;
      state.name = input.files[0] ? input.files[0].name : "";
      verify();
    });
  });
  $("verify-proof-file").addEventListener("change", function () {
    readFile(this).then(function (text) {
      state.proofText = text;
      if (state.text) {
        verify();
      }
    });
  });
  $("verify-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    verify();
  });

  prefillKey();
  load();
}());
