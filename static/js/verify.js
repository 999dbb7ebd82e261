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

  // Texts in the page's language (locales/*.verify.json), passed by the
  // template; tr fills each %s with the next argument.
  var texts = {};
  try {
    texts = JSON.parse(root.getAttribute("data-texts") || "{}");
  } catch (e) { /* keys stand in for texts */ }
  function tr(key) {
    var s = texts[key] || key;
    for (var i = 1; i < arguments.length; i++) {
      s = s.replace("%s", String(arguments[i]));
    }
    return s;
  }

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
      setStatus(tr("verify.js.no_runtime"));
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
      setStatus(tr("verify.js.ready"));
      fromQuery();
    }).catch(function (err) {
      setStatus(tr("verify.js.start_failed", err));
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
      setStatus(tr("verify.js.bad_url"));
      return;
    }
    if (url.origin !== window.location.origin) {
      setStatus(tr("verify.js.cross_origin"));
      return;
    }
    setStatus(tr("verify.js.fetching", url.pathname));
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
      .catch(function (err) { setStatus(tr("verify.js.fetch_failed", err.message)); });
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
      setStatus(tr("verify.js.loading"));
      return;
    }
    if (!state.text) {
      setStatus(tr("verify.js.choose"));
      return;
    }
    var key = $("verify-key").value.trim();
    setStatus(tr("verify.js.checking", state.name || tr("verify.js.the_file")));
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
      summary.textContent = tr("verify.js.not_proof");
      list.appendChild(el("li", tr("verify.js.unreadable", rep.error), "verify-fail"));
      setStatus(tr("verify.js.done_not_proof"));
      return;
    }
    var kind = rep.kind === "receipt" ? "receipt" : "proof";
    summary.textContent = tr("verify.js." + kind + (rep.ok ? "_ok" : "_failed"));
    rep.checks.forEach(function (c) {
      var li = el("li", null, c.ok ? "verify-ok" : "verify-fail");
      li.appendChild(el("span", c.ok ? tr("verify.js.passed") : tr("verify.js.failed"), "verify-mark"));
      li.appendChild(document.createTextNode(tr("verify.js.check", c.n, c.name) + (c.reason ? ": " + c.reason : "")));
      list.appendChild(li);
    });
    var total = rep.kind === "receipt" ? (state.proofText && isReceipt(state.text) ? 5 : 4) : 6;
    if (rep.checks.length < total) {
      list.appendChild(el("li", tr("verify.js.stopped"), "verify-skipped"));
    }
    if (rep.result) {
      renderResult(rep.result);
    }
    if (rep.inclusion) {
      renderInclusion(rep.inclusion);
    }
    setStatus(tr("verify.js.done", summary.textContent));
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
      ? tr("verify.js.winners", winners.map(name).join(", "))
      : (res.quorum_met === false ? tr("verify.js.no_quorum") : tr("verify.js.no_winners"));
    var table = $("verify-totals");
    var body = table.querySelector("tbody");
    clear(body);
    if (res.totals) {
      table.hidden = false;
      Object.keys(res.totals).forEach(function (k) {
        var row = el("tr");
        row.appendChild(el("th", name(k)));
        row.lastChild.setAttribute("scope", "row");
        row.appendChild(el("td", String(res.totals[k])));
        body.appendChild(row);
      });
    } else {
      table.hidden = true;
    }
    var dl = $("verify-weights");
    clear(dl);
    var w = res.weights || {};
    ["eligible", "direct", "delegated", "participating", "lost", "absent", "max_weight"].forEach(function (k) {
      if (w[k] !== undefined) {
        dl.appendChild(el("dt", tr("verify.js.w." + k)));
        dl.appendChild(el("dd", String(w[k])));
      }
    });
    if (res.passed !== undefined) {
      dl.appendChild(el("dt", tr("verify.js.passed_label")));
      dl.appendChild(el("dd", res.passed ? tr("verify.js.yes") : tr("verify.js.no")));
    }
    if (res.rounds) {
      dl.appendChild(el("dt", tr("verify.js.rounds")));
      dl.appendChild(el("dd", String(res.rounds.length)));
    }
    if (res.ranking) {
      dl.appendChild(el("dt", tr("verify.js.ranking")));
      dl.appendChild(el("dd", res.ranking.map(function (g) { return g.map(name).join(" = "); }).join(" > ")));
    }
  }

  function renderInclusion(inc) {
    $("verify-inclusion").hidden = false;
    $("verify-leaf").textContent = tr("verify.js.leaf", inc.voter, inc.leaf_index, inc.tree_size,
      JSON.stringify(inc.leaf), inc.leaf_hash);
    var body = $("verify-path").querySelector("tbody");
    clear(body);
    inc.steps.forEach(function (s, i) {
      var row = el("tr");
      row.appendChild(el("td", String(i + 1)));
      row.appendChild(el("td", s.sibling, "verify-hash"));
      row.appendChild(el("td", tr(s.side === "left" ? "verify.js.left" : "verify.js.right")));
      row.appendChild(el("td", s.hash, "verify-hash"));
      body.appendChild(row);
    });
    $("verify-root").textContent = inc.root
      ? tr(inc.root === inc.votes_root ? "verify.js.root_equal" : "verify.js.root_differs", inc.root, inc.votes_root)
      : tr("verify.js.bad_path");
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
