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

  // Texts in the page's language (locales/*.verify.json, texts.js).
  var tr = KoinonTexts(root);
  var texts = tr.texts;

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
    window.koinonStartWASM(root.getAttribute("data-wasm")).then(function () {
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

  // outcome shows the verdict as a banner: colour, icon and words.
  function outcome(ok, text) {
    $("verify-outcome").className = "verify-outcome " + (ok ? "pass" : "fail");
    $("verify-icon").textContent = ok ? "✓" : "✗";
    $("verify-summary").textContent = text;
  }

  function render(rep) {
    $("verify-report").hidden = false;
    $("verify-result").hidden = true;
    $("verify-inclusion").hidden = true;
    $("verify-counts").hidden = true;
    $("verify-stopped").hidden = true;
    $("verify-run").textContent = tr("verify.js.again");
    var list = $("verify-checks");
    clear(list);
    if (rep.error) {
      outcome(false, tr("verify.js.not_proof"));
      var p = $("verify-stopped");
      p.textContent = tr("verify.js.unreadable", rep.error);
      p.hidden = false;
      setStatus(tr("verify.js.done_not_proof"));
      return;
    }
    var kind = rep.kind === "receipt" ? "receipt" : "proof";
    outcome(rep.ok, tr("verify.js." + kind + (rep.ok ? "_ok" : "_failed")));
    // Only the checks that ran are listed, numbered as they ran.
    rep.checks.forEach(function (c) {
      var li = el("li", null, c.ok ? "verify-ok" : "verify-fail");
      li.value = c.n;
      li.appendChild(el("span", c.ok ? tr("verify.js.passed") : tr("verify.js.failed"), "verify-mark"));
      li.appendChild(document.createTextNode(tr("verify.js.check_line", texts["verify.js.name." + c.name] || c.name)));
      if (c.reason) {
        li.appendChild(el("span", c.reason, "verify-reason"));
      }
      list.appendChild(li);
    });
    var total = rep.kind === "receipt" ? (state.proofText && isReceipt(state.text) ? 5 : 4)
      : rep.kind === "secret-tally" ? 10 : 6;
    if (rep.checks.length < total) {
      $("verify-stopped").textContent = tr("verify.js.stopped");
      $("verify-stopped").hidden = false;
    }
    if (rep.result) {
      renderResult(rep.result);
    }
    if (rep.counts) {
      renderCounts(rep.counts);
    }
    if (rep.inclusion) {
      renderInclusion(rep.inclusion);
    }
    setStatus(tr("verify.js.done", $("verify-summary").textContent));
  }

  // The ballot inside the proof (the file, or the proof chosen beside a
  // receipt): its method and its options in ballot order, for readable
  // totals and votes.
  function ballot() {
    var out = { method: "", keys: [], names: {} };
    try {
      var doc = JSON.parse(isReceipt(state.text) ? state.proofText : state.text);
      out.method = doc.ballot && doc.ballot.method || "";
      (doc.ballot && doc.ballot.options || []).forEach(function (o) {
        out.keys.push(o.key);
        out.names[o.key] = o.label;
      });
    } catch (e) { /* keys only */ }
    return out;
  }

  function renderResult(res) {
    var b = ballot();
    var name = function (k) { return b.names[k] ? b.names[k] + " (" + k + ")" : k; };
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
      // In the ballot's order of options, then any key it does not list.
      var keys = b.keys.filter(function (k) { return k in res.totals; });
      Object.keys(res.totals).forEach(function (k) {
        if (keys.indexOf(k) < 0) {
          keys.push(k);
        }
      });
      keys.forEach(function (k) {
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

  // renderCounts shows a secret tally's decrypted counts (docs/spec/
  // secret-ballot.md §10): the weighted total of each option in the
  // ballot's order, or for Schulze the pairwise matrix (row over column).
  function renderCounts(counts) {
    var b = ballot();
    var name = function (k) { return b.names[k] ? b.names[k] + " (" + k + ")" : k; };
    var table = $("verify-counts-table");
    var head = table.querySelector("thead");
    var body = table.querySelector("tbody");
    clear(head);
    clear(body);
    var row = el("tr");
    var cell = function (tag, text, scope) {
      var c = el(tag, text);
      if (scope) {
        c.setAttribute("scope", scope);
      }
      row.appendChild(c);
    };
    if (counts.pairwise) {
      $("verify-counts-caption").textContent = tr("verify.js.counts.pairwise_caption");
      $("verify-counts-note").textContent = tr("verify.js.counts.pairwise_note");
      cell("th", tr("verify.js.counts.over"), "col");
      b.keys.forEach(function (k) { cell("th", name(k), "col"); });
      head.appendChild(row);
      counts.pairwise.forEach(function (line, i) {
        row = el("tr");
        cell("th", name(b.keys[i] || String(i + 1)), "row");
        line.forEach(function (n, j) { cell("td", i === j ? "—" : String(n)); });
        body.appendChild(row);
      });
    } else {
      $("verify-counts-caption").textContent = tr("verify.js.counts.totals_caption");
      $("verify-counts-note").textContent = tr("verify.js.counts.totals_note");
      cell("th", tr("verify.js.counts.option"), "col");
      cell("th", tr("verify.js.counts.weight"), "col");
      head.appendChild(row);
      var totals = counts.totals || {};
      b.keys.filter(function (k) { return k in totals; }).forEach(function (k) {
        row = el("tr");
        cell("th", name(k), "row");
        cell("td", String(totals[k]));
        body.appendChild(row);
      });
    }
    $("verify-counts").hidden = false;
  }

  // choiceText words a vote's choice with the ballot's labels: a word or
  // key, a list (ranked: "A > B"), or groups of equal ranks ("A = B > C").
  function choiceText(choice, b) {
    var name = function (k) {
      if (b.method === "majority" || (!b.method && texts["verify.js.word." + k])) {
        return tr("verify.js.word." + k);
      }
      return b.names[k] || k;
    };
    if (typeof choice === "string") {
      return name(choice);
    }
    if (!Array.isArray(choice) || choice.length === 0) {
      return tr("verify.js.leaf.empty");
    }
    if (Array.isArray(choice[0])) {
      return choice.map(function (g) { return g.map(name).join(" = "); }).join(" > ");
    }
    var ranked = b.method === "irv" || b.method === "stv";
    return choice.map(name).join(ranked ? " > " : ", ");
  }

  function renderInclusion(inc) {
    $("verify-inclusion").hidden = false;
    var leaf = inc.leaf || {};
    $("verify-leaf-vote").textContent = tr("verify.js.leaf.vote", leaf.voter || inc.voter, choiceText(leaf.choice, ballot()));
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
      } else {
        setStatus(tr("verify.js.proof_ready"));
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
