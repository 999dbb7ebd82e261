// The voting page of a secret ballot (templates/pages/ballot_show.html,
// docs/ballots.md "Secret ballots"). The choice never leaves the device:
// "Prepare" encrypts and proves it in the WebAssembly module
// (secret_ballot.js) and shows the ballot's fingerprint; the voter then
// either casts it (only the ciphertexts and proofs are sent) or audits it
// (Benaloh challenge: the randomness is revealed, the module checks that
// the ballot encrypts the choice, and the ballot is discarded). Every text
// comes from the page (data-texts) and is set with textContent.
(function () {
  "use strict";

  var root = document.getElementById("secret-vote");
  if (!root) {
    return;
  }
  var $ = function (id) { return document.getElementById(id); };
  var texts = JSON.parse(root.getAttribute("data-texts") || "{}");
  var voting = JSON.parse(root.getAttribute("data-voting"));
  function tr(key) {
    var s = texts[key] || key;
    for (var i = 1; i < arguments.length; i++) {
      s = s.replace("%s", String(arguments[i]));
    }
    return s;
  }
  var status = $("secret-status");
  var prepared = null; // the ballot shown with its fingerprint, not yet cast or audited
  var method = voting.ballot.method;
  var options = voting.ballot.options;

  function show(id, on) {
    $(id).hidden = !on;
  }

  // readChoice turns the form into the module's choice (indices in the
  // ballot's order of options), or throws an Error with a text for the
  // voter.
  function readChoice() {
    var inputs = Array.prototype.slice.call(root.querySelectorAll("[data-option]"));
    if (method === "majority" || method === "plurality") {
      var picked = inputs.filter(function (i) { return i.checked; });
      if (picked.length !== 1) {
        throw new Error(tr("secret.js.pick_one"));
      }
      return { option: Number(picked[0].getAttribute("data-option")) };
    }
    if (method === "approval") {
      var max = voting.ballot.max_approvals || options.length;
      var approve = inputs.filter(function (i) { return i.checked; })
        .map(function (i) { return Number(i.getAttribute("data-option")); });
      if (approve.length > max) {
        throw new Error(tr("secret.js.too_many", max));
      }
      return { approve: approve };
    }
    var ranks = inputs.map(function (i) {
      var v = i.value.trim();
      if (v === "") {
        return 0;
      }
      var n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > options.length) {
        throw new Error(tr("secret.js.bad_rank", options.length));
      }
      return n;
    });
    if (ranks.every(function (r) { return r === 0; })) {
      throw new Error(tr("secret.js.rank_some"));
    }
    return { ranks: ranks };
  }

  // choiceText words a choice with the ballot's labels.
  function choiceText(c) {
    var label = function (i) { return options[i].label; };
    if (c.option !== undefined) {
      return label(c.option);
    }
    if (c.approve) {
      return c.approve.length ? c.approve.map(label).join(", ") : tr("secret.js.none");
    }
    var byRank = {};
    c.ranks.forEach(function (r, i) {
      if (r > 0) {
        (byRank[r] = byRank[r] || []).push(label(i));
      }
    });
    return Object.keys(byRank).map(Number).sort(function (a, b) { return a - b; })
      .map(function (r) { return byRank[r].join(" = "); }).join(" > ");
  }

  function setForm(disabled) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-option]"), function (i) { i.disabled = disabled; });
    $("secret-prepare").disabled = disabled;
  }

  // The ballot's fingerprint in groups of eight hex digits, easier to
  // compare by eye.
  function grouped(hex) {
    return hex.match(/.{1,8}/g).join(" ");
  }

  function prepare(ev) {
    ev.preventDefault();
    show("secret-error", false);
    var choice;
    try {
      choice = readChoice();
    } catch (e) {
      $("secret-error").textContent = e.message;
      show("secret-error", true);
      return;
    }
    status.textContent = tr("secret.js.preparing");
    setForm(true);
    // Let the status paint before the module works for a moment.
    setTimeout(function () {
      try {
        var t0 = performance.now();
        prepared = window.KoinonSecretBallot.prepare(voting, choice);
        prepared.choice = choice;
        $("secret-fingerprint").textContent = grouped(prepared.fingerprint);
        $("secret-ballot").value = "";
        show("secret-prepared", true);
        show("secret-audit-view", false);
        status.textContent = tr("secret.js.prepared", Math.round(performance.now() - t0));
        $("secret-cast").focus();
      } catch (e) {
        status.textContent = tr("secret.js.failed", e.message);
        setForm(false);
      }
    }, 20);
  }

  function audit() {
    var p = prepared;
    prepared = null;
    show("secret-prepared", false);
    var result = $("secret-audit-result");
    try {
      var a = p.audit();
      result.className = "secret-audit-result pass";
      result.textContent = tr("secret.js.audit_ok", choiceText(a.choice));
      $("secret-audit-data").value = JSON.stringify({
        voting: voting, ballot: p.ballot, fingerprint: p.fingerprint, opening: a.opening, choice: a.choice,
      }, null, 1);
    } catch (e) {
      result.className = "secret-audit-result fail";
      result.textContent = tr("secret.js.audit_failed", e.message);
      $("secret-audit-data").value = "";
    }
    $("secret-audit-fingerprint").textContent = grouped(p.fingerprint);
    show("secret-audit-view", true);
    setForm(false);
    status.textContent = tr("secret.js.audited");
    $("secret-audit-heading").focus();
  }

  function cast(ev) {
    if (!prepared) {
      ev.preventDefault();
      return;
    }
    // Only the ciphertexts and proofs are sent; the opening is forgotten.
    $("secret-ballot").value = prepared.castJSON();
    prepared = null;
    status.textContent = tr("secret.js.casting");
  }

  function copyAudit() {
    var data = $("secret-audit-data");
    data.select();
    var done = function () { status.textContent = tr("secret.js.copied"); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(data.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  }

  root.hidden = false;
  setForm(true);
  status.textContent = tr("secret.js.loading");
  $("secret-choice-form").addEventListener("submit", prepare);
  $("secret-audit").addEventListener("click", audit);
  $("secret-cast-form").addEventListener("submit", cast);
  $("secret-copy").addEventListener("click", copyAudit);
  // Without JavaScript the page shows only its <noscript> explanation.
  window.koinonStartWASM(root.getAttribute("data-wasm")).then(function () {
    setForm(false);
    status.textContent = tr("secret.js.ready");
    root.setAttribute("data-ready", "1");
  }).catch(function (e) {
    status.textContent = tr("secret.js.no_module", e.message || e);
  });
}());
