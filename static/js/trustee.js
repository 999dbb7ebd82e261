// The trustee page of a secret ballot (templates/pages/ballot_trustee.html,
// docs/ballots.md "Trustees"). The trustee's only secret is a 32-byte seed,
// made here with crypto.getRandomValues and kept in this browser's
// IndexedDB; the page offers it as a file to keep, and restores it from
// that file on another browser. The WebAssembly module (internal/trustee)
// derives the box key and polynomial from the seed and makes the content
// of the step that is due from the ballot's public transcript; the page
// signs that content with the trustee's device key (device.js) and sends
// the statement, never the seed.
(function () {
  "use strict";

  var root = document.getElementById("trustee-device");
  if (!root) {
    return;
  }
  var $ = function (id) { return document.getElementById(id); };
  var d = root.dataset;
  var texts = JSON.parse(d.texts || "{}");
  function tr(key) {
    var s = texts[key] || key;
    for (var i = 1; i < arguments.length; i++) {
      s = s.replace("%s", String(arguments[i]));
    }
    return s;
  }
  var status = $("trustee-status");
  var slot = d.community + "/" + d.ballot + "/" + d.handle;
  var seed = null; // base64

  function say(msg) {
    status.textContent = msg;
  }

  // IndexedDB: one object store of seeds by community/ballot/handle.
  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("koinon-trustee", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("seeds"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function idb(mode, fn) {
    return db().then(function (conn) {
      return new Promise(function (resolve, reject) {
        var req = fn(conn.transaction("seeds", mode).objectStore("seeds"));
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    });
  }
  function keep(s) {
    return idb("readwrite", function (st) { return st.put({ seed: s, at: new Date().toISOString() }, slot); });
  }

  // The key file: the seed with what it is for. `koinon trustee` reads
  // the same dkg_seed member.
  function offerFile() {
    var file = JSON.stringify({ format: "koinon-trustee-key/1", community: d.community, ballot: Number(d.ballot),
      trustee: d.handle, dkg_seed: seed }, null, 2) + "\n";
    var a = $("trustee-download");
    a.href = URL.createObjectURL(new Blob([file], { type: "application/json" }));
    a.hidden = false;
  }

  function showState() {
    $("trustee-new").hidden = true;
    $("trustee-restore").hidden = true;
    $("trustee-run").hidden = true;
    if (seed) {
      $("trustee-seed-state").textContent = tr("trustee.js.kept");
      offerFile();
      if (d.action) {
        $("trustee-run").textContent = tr("trustee.js.run." + d.action);
        $("trustee-run").hidden = false;
      }
      return;
    }
    $("trustee-seed-state").textContent = tr("trustee.js.none");
    // A trustee who took no step yet makes a new seed; one who did needs
    // the seed they used, from their file.
    var fresh = d.action === "keygen" && d.steps === "0";
    $("trustee-new").hidden = !fresh;
    $("trustee-restore").hidden = false;
  }

  // transcript is the ballot's public transcript with "you" filled from
  // the session (the page route of GET /api/v1/ballots/{id}/secret).
  function transcript() {
    return fetch("/ballots/" + d.ballot + "/secret", { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.json();
    });
  }

  // send signs the step with the trustee's device key (device.js) and
  // sends it to the statements route; only where device.js cannot sign
  // (no logs, no Ed25519 in WebCrypto) does it send the content for the
  // server to sign with the trustee's custodial key.
  function send(step, kind, content) {
    if (d.device === "1" && window.KoinonDevice) {
      return window.KoinonDevice.sign(kind, "ballot:" + d.ballot, content).then(function (rc) {
        return rc || sendCustodial(step, content);
      });
    }
    return sendCustodial(step, content);
  }

  function sendCustodial(step, content) {
    var body = new URLSearchParams();
    body.set("_csrf", d.csrf);
    body.set("content", JSON.stringify(content));
    return fetch("/ballots/" + d.ballot + "/trustee/" + step, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        return r.json().catch(function () { return { error: "HTTP " + r.status }; }).then(function (out) {
          if (!r.ok || out.error) {
            throw new Error(out.error || "HTTP " + r.status);
          }
        });
      });
  }

  // run takes the step that is due with the kept seed, then reloads the
  // page to show the progress.
  function run() {
    $("trustee-run").disabled = true;
    $("trustee-new").disabled = true;
    say(tr("trustee.js.working"));
    transcript().then(function (t) {
      var fn = d.action === "decrypt" ? window.koinonTrusteeDecrypt : window.koinonTrusteeStep;
      var out = JSON.parse(fn(JSON.stringify(t), seed, d.community));
      if (out.error) {
        throw new Error(out.error);
      }
      var step = d.action === "decrypt" ? "decrypt" : t.you.due;
      return send(step, t.step_kinds[step], out.content).then(function () { return step; });
    }).then(function (step) {
      say(tr("trustee.js.sent." + step));
      setTimeout(function () { window.location.reload(); }, 400);
    }).catch(function (e) {
      say(tr("trustee.js.failed", e.message));
      $("trustee-run").disabled = false;
    });
  }

  function makeSeed() {
    var b = crypto.getRandomValues(new Uint8Array(32));
    seed = btoa(String.fromCharCode.apply(null, b));
    keep(seed).then(function () {
      showState();
      run();
    }).catch(function (e) { say(tr("trustee.js.failed", e.message)); });
  }

  function restore() {
    var f = $("trustee-file").files[0];
    if (!f) {
      return;
    }
    f.text().then(function (text) {
      var k = JSON.parse(text);
      if (typeof k.dkg_seed !== "string" || atob(k.dkg_seed).length !== 32) {
        throw new Error(tr("trustee.js.bad_file"));
      }
      if (k.community && (k.community !== d.community || Number(k.ballot) !== Number(d.ballot))) {
        throw new Error(tr("trustee.js.other_ballot", k.community, k.ballot));
      }
      seed = k.dkg_seed;
      return keep(seed);
    }).then(function () {
      showState();
      say(tr("trustee.js.restored"));
    }).catch(function (e) { say(tr("trustee.js.failed", e.message)); });
  }

  $("trustee-new").addEventListener("click", makeSeed);
  $("trustee-run").addEventListener("click", run);
  $("trustee-file").addEventListener("change", restore);
  root.hidden = false;
  say(tr("trustee.js.loading"));
  Promise.all([
    window.koinonStartWASM(d.wasm),
    idb("readonly", function (st) { return st.get(slot); }).catch(function () { return null; }),
  ]).then(function (r) {
    seed = r[1] && r[1].seed || null;
    showState();
    say(tr("trustee.js.ready"));
    root.setAttribute("data-ready", "1");
  }).catch(function (e) {
    say(tr("trustee.js.no_module", e.message || e));
  });
}());
