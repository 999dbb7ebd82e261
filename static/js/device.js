// The citizen's voting key in the browser (docs/browser-keys.md).
//
// - The key is a WebCrypto Ed25519 key, made here and kept non-extractable
//   in IndexedDB; optionally a passphrase-protected backup file is offered
//   at the moment it is made (the only moment its bytes exist).
// - Votes (secret ballots' encrypted ones too), withdrawals, delegations
//   and trustee steps (trustee.js, through KoinonDevice.sign) are signed
//   here (statement.js) and sent to /communities/SLUG/device/statements; the receipt (log index,
//   checkpoint, inclusion proof) is checked and kept in IndexedDB.
// - On each visit the kept checkpoint must be extended by the current one
//   (consistency proof), and after a ballot's close its sealed proof must
//   carry this device's statements as they were made.
// Every check runs in the WebAssembly module (koinonDevice, the Go code of
// internal/receipt). Without JavaScript, WebCrypto Ed25519 or the module,
// the forms are sent as they are and the server signs with the citizen's
// custodial key, which the page says.
(function () {
  "use strict";

  var root = document.getElementById("device");
  var S = window.KoinonStatement;
  if (!root || !S || !window.KoinonTexts || !window.crypto || !crypto.subtle || !window.indexedDB) {
    return;
  }
  var $ = function (id) { return document.getElementById(id); };
  var slug = root.getAttribute("data-community");
  var ballot = root.getAttribute("data-ballot");
  var closed = root.getAttribute("data-closed") === "1";
  var csrfInput = document.querySelector("input[name=_csrf]");
  var csrf = csrfInput ? csrfInput.value : "";
  var tr = KoinonTexts(root); // texts.js: the page's language

  function kindName(kind) {
    return tr.texts["device.js.kind." + kind] || kind;
  }

  function show(el, on) {
    el.hidden = !on;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  // ---- IndexedDB: keys (by handle), logs (by handle@community: the
  // log's vkey and origin, first seen, and the latest checked
  // checkpoint) and receipts (by owner handle@community). ----

  var dbp = null;

  function openDB() {
    if (!dbp) {
      dbp = new Promise(function (resolve, reject) {
        var req = indexedDB.open("koinon-device", 1);
        req.onupgradeneeded = function () {
          var db = req.result;
          db.createObjectStore("keys", { keyPath: "handle" });
          db.createObjectStore("logs", { keyPath: "owner" });
          db.createObjectStore("receipts", { autoIncrement: true }).createIndex("owner", "owner");
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbp;
  }

  // idb runs fn(store) in a transaction and resolves with the result of
  // the request fn returns (if any) once the transaction is done.
  function idb(name, mode, fn) {
    return openDB().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var req = fn(tx.objectStore(name));
        tx.oncomplete = function () { resolve(req ? req.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function keptReceipts(owner) {
    return idb("receipts", "readonly", function (st) { return st.index("owner").getAll(owner); });
  }

  // ---- the WebAssembly checker ----

  var checker = null;

  function startChecker() {
    if (!checker) {
      checker = (typeof Go === "undefined" ? Promise.reject(new Error("no Go runtime")) :
        fetch(root.getAttribute("data-wasm")).then(function (r) {
          if (!r.ok) { throw new Error("HTTP " + r.status); }
          return r.arrayBuffer();
        }).then(function (bytes) {
          var go = new Go();
          return WebAssembly.instantiate(bytes, go.importObject).then(function (m) {
            go.run(m.instance); // never resolves: the module keeps its functions alive
          });
        }));
    }
    return checker;
  }

  // device runs one check of internal/receipt; a refusal throws.
  function device(op, req) {
    var out = JSON.parse(window.koinonDevice(op, JSON.stringify(req)));
    if (out.error) {
      throw new Error(out.error);
    }
    return out;
  }

  // ---- the server ----

  function refused(res) {
    return res.json().catch(function () { return {}; }).then(function (b) {
      var e = new Error((b.error && b.error.message) || ("HTTP " + res.status));
      e.refused = true;
      e.body = b;
      throw e;
    });
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (res) {
      return res.ok ? res.json() : refused(res);
    });
  }

  function post(url, body, type) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { Accept: "application/json", "Content-Type": type, "X-CSRF-Token": csrf }
    }).then(function (res) {
      return res.ok ? res.json() : refused(res);
    });
  }

  function loadState() {
    return getJSON("/communities/" + encodeURIComponent(slug) + "/device");
  }

  function sizeOf(checkpoint) {
    return Number((checkpoint || "").split("\n")[1] || 0);
  }

  // advance accepts the checkpoint next only if the log's key signed it
  // and it extends the one kept (a consistency proof from the server);
  // it returns the log record to keep.
  function advance(log, next) {
    var old = sizeOf(log.checkpoint);
    var proof = old > 0 && old < sizeOf(next) ?
      getJSON("/communities/" + encodeURIComponent(slug) + "/device/consistency?old=" + old + "&new=" + sizeOf(next)) :
      Promise.resolve({ proof: [] });
    return proof.then(function (p) {
      device("advance", { vkey: log.vkey, origin: log.origin, kept: log.checkpoint || "", checkpoint: next, proof: p.proof });
      return { owner: log.owner, vkey: log.vkey, origin: log.origin, checkpoint: next };
    });
  }

  // ---- keys ----

  var utf8 = new TextEncoder();
  var ED = { name: "Ed25519" };
  var ITERATIONS = 600000;

  function storeKey(handle, privateKey, publicKey, backedUp) {
    return crypto.subtle.exportKey("raw", publicKey).then(function (raw) {
      return S.keyID(raw).then(function (id) {
        var rec = { handle: handle, privateKey: privateKey, publicKey: publicKey, pub: S.base64(raw), keyId: id, backedUp: backedUp };
        return idb("keys", "readwrite", function (st) { return st.put(rec); }).then(function () { return rec; });
      });
    });
  }

  function passKey(pass, salt, usage) {
    return crypto.subtle.importKey("raw", utf8.encode(pass), "PBKDF2", false, ["deriveKey"]).then(function (base) {
      return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: ITERATIONS },
        base, { name: "AES-GCM", length: 256 }, false, [usage]);
    });
  }

  function backupAAD(keyId) {
    return utf8.encode("koinon-device-key/1\n" + keyId);
  }

  // makeKey makes the citizen's key. With a passphrase the key is made
  // extractable, sealed at once into a backup file (PBKDF2-SHA-256,
  // AES-256-GCM), and imported again as non-extractable: only that copy
  // is kept. Without one it is non-extractable from the start.
  function makeKey(handle, pass) {
    if (!pass) {
      return crypto.subtle.generateKey(ED, false, ["sign", "verify"]).then(function (kp) {
        return storeKey(handle, kp.privateKey, kp.publicKey, false);
      });
    }
    return crypto.subtle.generateKey(ED, true, ["sign", "verify"]).then(function (kp) {
      return Promise.all([crypto.subtle.exportKey("pkcs8", kp.privateKey), crypto.subtle.exportKey("raw", kp.publicKey)]).then(function (b) {
        var pkcs8 = new Uint8Array(b[0]);
        var salt = crypto.getRandomValues(new Uint8Array(16));
        var iv = crypto.getRandomValues(new Uint8Array(12));
        return Promise.all([S.keyID(b[1]), passKey(pass, salt, "encrypt")]).then(function (r) {
          var id = r[0];
          return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: backupAAD(id) }, r[1], pkcs8).then(function (sealed) {
            return crypto.subtle.importKey("pkcs8", pkcs8, ED, false, ["sign"]).then(function (priv) {
              pkcs8.fill(0);
              var file = {
                format: "koinon-device-key/1", citizen: handle, key_id: id, public_key: S.base64(b[1]),
                kdf: { name: "PBKDF2", hash: "SHA-256", iterations: ITERATIONS, salt: S.base64(salt) },
                cipher: { name: "AES-GCM", iv: S.base64(iv) }, sealed: S.base64(sealed)
              };
              return storeKey(handle, priv, kp.publicKey, true).then(function (rec) {
                offerBackup(file);
                return rec;
              });
            });
          });
        });
      });
    });
  }

  function offerBackup(file) {
    var link = $("device-backup-link");
    // A data: URL (the page's CSP lets no script read blob: URLs back).
    link.href = "data:application/json;charset=utf-8," + encodeURIComponent(JSON.stringify(file, null, 2) + "\n");
    link.download = "koinon-key-" + file.citizen + "-" + file.key_id + ".json";
    show($("device-backup"), true);
  }

  // restoreKey opens a backup file with its passphrase and keeps the key
  // non-extractable; a signature made with it must verify with the
  // file's public key.
  function restoreKey(handle, file, pass) {
    var salt = S.unbase64(file.kdf.salt);
    if (file.format !== "koinon-device-key/1" || file.kdf.name !== "PBKDF2" || file.kdf.hash !== "SHA-256" ||
        file.kdf.iterations !== ITERATIONS || file.cipher.name !== "AES-GCM") {
      return Promise.reject(new Error("not a koinon-device-key/1 file"));
    }
    return passKey(pass, salt, "decrypt").then(function (aes) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: S.unbase64(file.cipher.iv), additionalData: backupAAD(file.key_id) }, aes, S.unbase64(file.sealed));
    }).then(function (pkcs8) {
      var b = new Uint8Array(pkcs8);
      return Promise.all([crypto.subtle.importKey("pkcs8", b, ED, false, ["sign"]),
        crypto.subtle.importKey("raw", S.unbase64(file.public_key), ED, true, ["verify"])]).then(function (k) {
        b.fill(0);
        var probe = utf8.encode("koinon/v1/backup-probe");
        return crypto.subtle.sign(ED, k[0], probe).then(function (sig) {
          return crypto.subtle.verify(ED, k[1], sig, probe);
        }).then(function (ok) {
          if (!ok) { throw new Error("the file's public key does not match its key"); }
          return storeKey(handle, k[0], k[1], true);
        });
      });
    });
  }

  // ---- signing and sending ----

  // head is the citizen's chain head as the server lists it: the hash
  // and time of their latest statement.
  function head(st) {
    var list = st.statements;
    var last = list.length ? list[list.length - 1] : null;
    return { prev: last ? last.hash : "", at: last ? last.envelope.statement.at : "" };
  }

  function latest(a, b) {
    return a > b ? a : b; // RFC 3339 UTC with Z, whole seconds: text order is time order
  }

  // logOf returns the log record kept for the citizen in this community,
  // or a first one (the log's key is trusted from the first visit on, as
  // `koinon client` does); a changed key or origin is a problem.
  function logOf(st) {
    var owner = st.handle + "@" + slug;
    return idb("logs", "readonly", function (s) { return s.get(owner); }).then(function (log) {
      if (!log) {
        return { owner: owner, vkey: st.log.vkey, origin: st.log.origin, checkpoint: "" };
      }
      if (log.vkey !== st.log.vkey || log.origin !== st.log.origin) {
        var e = new Error(tr("device.js.problem.key", log.vkey, st.log.vkey));
        e.problem = true;
        throw e;
      }
      return log;
    });
  }

  // send signs one statement on the citizen's chain head, sends it (a
  // vote as its opening, with a fresh commitment nonce), checks the
  // receipt and keeps it. It returns the receipt.
  function send(st, key, kind, scope, content) {
    var h = head(st);
    var statement = {
      format: "koinon-statement/1", kind: kind, community: slug, scope: scope, content: content,
      prev: h.prev, at: latest(S.nowUTC(), h.at), key: key.keyId
    };
    var nonce = kind === "vote" ? S.hex(crypto.getRandomValues(new Uint8Array(32))) : "";
    return S.sign(statement, key.privateKey).then(function (env) {
      var body = nonce ? { envelope: env, nonce: nonce } : env;
      var envText = S.canonicalize(env);
      return post("/communities/" + encodeURIComponent(slug) + "/device/statements", S.canonicalize(body), "application/json").then(function (rc) {
        return logOf(st).then(function (log) {
          return advance(log, rc.checkpoint).catch(function (err) {
            throw receiptError(err);
          });
        }).then(function (log) {
          var entry;
          try {
            entry = device("entry", { envelope: envText, nonce: nonce }).entry;
            device("included", { vkey: log.vkey, origin: log.origin, checkpoint: rc.checkpoint, index: rc.index, entry: entry, proof: rc.inclusion });
          } catch (err) {
            throw receiptError(err);
          }
          return S.envelopeHash(env).then(function (hash) {
            if (hash !== rc.hash) {
              throw receiptError(new Error("hash " + rc.hash + ", not " + hash));
            }
            var kept = { owner: log.owner, kind: kind, scope: scope, index: rc.index, hash: hash, entry: entry };
            return idb("receipts", "readwrite", function (s) { return s.add(kept); }).then(function () {
              return idb("logs", "readwrite", function (s) { return s.put(log); });
            }).then(function () {
              st.statements.push({ index: rc.index, hash: hash, envelope: env });
              return rc;
            });
          });
        });
      });
    });
  }

  function receiptError(err) {
    var e = new Error(tr("device.js.receipt_bad") + " " + err.message);
    e.problem = true;
    return e;
  }

  // signAndSend makes sure the citizen has a key registered in this
  // community (making and registering one if needed), then sends the
  // statement. When another device of the citizen's was faster (the
  // server answers that prev is not their latest statement), it signs
  // once more on the new head.
  function signAndSend(kind, scope, content) {
    return signOnHead(kind, scope, content).catch(function (err) {
      if (err.refused && /not the citizen's latest/.test(err.message)) {
        return signOnHead(kind, scope, content);
      }
      throw err;
    });
  }

  function signOnHead(kind, scope, content) {
    return Promise.all([startChecker(), loadState()]).then(function (r) {
      var st = r[1];
      return idb("keys", "readonly", function (s) { return s.get(st.handle); }).then(function (key) {
        return key || makeKey(st.handle, "");
      }).then(function (key) {
        var registered = st.statements.some(function (s) { return s.envelope.statement.key === key.keyId; });
        var reg = registered ? Promise.resolve() : send(st, key, "key_register", "community",
          { citizen: st.handle, public_key: key.pub, custodial: false, old_key: "" });
        return reg.then(function () { return send(st, key, kind, scope, content); });
      });
    });
  }

  // ---- forms ----

  var busy = false;
  var unsupported = false; // no Ed25519 in WebCrypto: the forms go as they are

  function formError(form, msg) {
    var p = form.parentNode.querySelector(".device-error[data-for='" + form.id + "']");
    if (!p) {
      p = document.createElement("p");
      p.className = "device-error";
      p.setAttribute("role", "alert");
      p.setAttribute("data-for", form.id);
      form.parentNode.insertBefore(p, form.nextSibling);
    }
    p.textContent = msg;
  }

  // intercept signs what form would send instead of sending it; build
  // returns {kind, scope, content}, or null to let the form go as it is
  // (the server then answers with the form's own errors, writing
  // nothing). after is where to go once it is in the log.
  function intercept(form, accept, build, after) {
    var bypass = false;
    form.addEventListener("submit", function (e) {
      if (bypass || unsupported || !accept(e.submitter)) {
        return;
      }
      e.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      var submitter = e.submitter;
      formError(form, tr("device.js.signing"));
      Promise.resolve(build(submitter)).then(function (what) {
        if (!what) {
          bypass = true;
          form.requestSubmit(submitter);
          return;
        }
        return signAndSend(what.kind, what.scope, what.content).then(function (rc) {
          sessionStorage.setItem("koinon-device-flash", tr("device.js.saved." + what.kind, rc.index));
          location.assign(after());
          location.reload();
        });
      }).catch(function (err) {
        busy = false;
        formError(form, err.refused ? tr("device.js.refused", err.message) : (err.problem ? err.message : tr("device.js.failed", err.message)));
      });
    });
  }

  function pageAt(anchor) {
    return location.pathname + location.search + "#" + anchor;
  }

  var voteForm = $("vote-form");
  if (voteForm && voteForm.getAttribute("data-device") === "1") {
    voteForm.id = voteForm.id || "vote-form";
    intercept(voteForm, function (s) {
      return s && (s.name === "cast" || s.name === "abstain");
    }, function (submitter) {
      var body = new URLSearchParams(new FormData(voteForm, submitter)).toString();
      return post("/ballots/" + ballot + "/vote/choice", body, "application/x-www-form-urlencoded").then(function (r) {
        return { kind: "vote", scope: r.scope, content: { choice: r.choice } };
      }, function (err) {
        if (err.refused && err.body && err.body.errors) {
          return null; // the form's own errors: the server shows them
        }
        throw err;
      });
    }, function () { return pageAt("vote"); });
  }
  // A secret ballot's cast form (secret_vote.js) carries the encrypted
  // ballot its script made; it is signed here as a secret_vote statement.
  // secret_vote.js fills the form in its own submit listener, which runs
  // after this one: build reads it a moment later.
  var secretForm = $("secret-cast-form");
  var secretDevice = secretForm && secretForm.getAttribute("data-device") === "1";
  if (secretDevice) {
    intercept(secretForm, function () { return true; }, function () {
      return new Promise(function (resolve) { setTimeout(resolve, 0); }).then(function () {
        var raw = $("secret-ballot").value;
        return raw ? { kind: "secret_vote", scope: "ballot:" + ballot, content: { ballot: JSON.parse(raw) } } : null;
      });
    }, function () { return pageAt("vote"); });
  }
  var withdrawForm = $("withdraw-form");
  if (withdrawForm && (secretDevice || voteForm && voteForm.getAttribute("data-device") === "1")) {
    intercept(withdrawForm, function () { return true; }, function () {
      return { kind: "vote_withdraw", scope: "ballot:" + ballot, content: {} };
    }, function () { return pageAt("vote"); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form.ballots-delegate-form[data-device='1']"), function (form, i) {
    form.id = form.id || "delegate-form-" + i;
    intercept(form, function (s) { return !!s; }, function (submitter) {
      var content = { delegates: [], remove: submitter.value === "remove" };
      if (submitter.value === "set") {
        Array.prototype.forEach.call(form.querySelectorAll("input[name=delegate]"), function (inp) {
          var h = inp.value.trim();
          if (h) { content.delegates.push(h); }
        });
        if (!content.delegates.length) {
          return null;
        }
      }
      return { kind: "delegate", scope: form.getAttribute("data-scope"), content: content };
    }, function () { return pageAt(form.closest("article").id); });
  });

  // ---- the panel and the check on each visit ----

  function note(msg, cls) {
    var p = document.createElement("p");
    p.className = "flash " + (cls || "ok");
    p.setAttribute("role", "status");
    p.textContent = msg;
    root.insertBefore(p, $("device-outcome"));
  }

  function outcome(msg, cls) {
    var o = $("device-outcome");
    o.textContent = msg;
    o.className = "device-outcome " + cls;
    show(o, true);
  }

  function problems(list) {
    var box = $("device-problems");
    clear(box);
    var h = document.createElement("p");
    h.textContent = tr("device.js.bad_report");
    var ul = document.createElement("ul");
    list.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item.text || item;
      if (item.detail) {
        // The verifier's own words (as `koinon verify` prints them).
        var code = document.createElement("code");
        code.textContent = item.detail;
        li.appendChild(document.createTextNode(" "));
        li.appendChild(code);
      }
      ul.appendChild(li);
    });
    box.appendChild(h);
    box.appendChild(ul);
    show(box, true);
    outcome(tr("device.js.bad_heading"), "bad");
  }

  // showKeys lists every key registered for the citizen in this log.
  function showKeys(st, key) {
    var ul = $("device-key-list");
    clear(ul);
    st.statements.forEach(function (s) {
      var stmt = s.envelope.statement;
      if (stmt.kind !== "key_register") { return; }
      var li = document.createElement("li");
      if (key && stmt.key === key.keyId) {
        li.textContent = tr("device.js.key.this", stmt.key);
      } else if (stmt.content.custodial) {
        li.textContent = tr("device.js.key.custodial", stmt.key);
      } else {
        li.textContent = tr("device.js.key.other", stmt.key, new Date(stmt.at).toLocaleString(document.documentElement.lang), s.index);
      }
      ul.appendChild(li);
    });
    show($("device-keys"), ul.childNodes.length > 0);
    var line = $("device-key");
    if (key) {
      line.textContent = tr("device.js.key_line", key.keyId);
    }
    show(line, !!key);
    show($("device-create"), !key);
    show($("device-restore"), true);
  }

  // rewritten returns the kept receipts whose entries the log no longer
  // serves as they were made: each is read back from its entry bundle
  // (tlog-tiles) of the log of size entries.
  function rewritten(size, kept) {
    var bundles = {};
    kept.forEach(function (k) {
      if (k.index >= size) { return; }
      var b = device("bundle", { size: size, index: k.index });
      (bundles[b.path] = bundles[b.path] || []).push({ k: k, at: b.at });
    });
    return Promise.all(Object.keys(bundles).map(function (path) {
      var all = bundles[path].map(function (x) { return x.k; });
      return fetch("/logs/" + encodeURIComponent(slug) + "/" + path, { credentials: "same-origin" }).then(function (res) {
        return res.ok ? res.arrayBuffer() : null;
      }).then(function (buf) {
        if (!buf) {
          return all; // the log does not serve a bundle its checkpoint covers
        }
        var bundle = S.base64(buf);
        return bundles[path].filter(function (x) {
          try {
            return device("entryin", { bundle: bundle, at: x.at }).entry !== x.k.entry;
          } catch (err) {
            return true;
          }
        }).map(function (x) { return x.k; });
      });
    })).then(function (lists) { return [].concat.apply([], lists); });
  }

  // check is the visit's check: the log's current checkpoint extends the
  // one kept, the log still serves every kept entry as it was made, every
  // kept receipt is among the citizen's statements, and after the
  // ballot's close its sealed proof used them as made.
  function check(st, key) {
    var owner = st.handle + "@" + slug;
    var found = [];
    return Promise.all([logOf(st), keptReceipts(owner)]).then(function (r) {
      var log = r[0];
      var kept = r[1];
      return advance(log, st.checkpoint).then(function (next) {
        return idb("logs", "readwrite", function (s) { return s.put(next); }).then(function () {
          return rewritten(sizeOf(next.checkpoint), kept);
        }).then(function (list) {
          list.forEach(function (k) {
            found.push(tr("device.js.problem.rewritten", kindName(k.kind), k.index));
          });
        });
      }, function (err) {
        found.push({ text: tr("device.js.problem.fork"), detail: err.message });
      }).then(function () {
        var mine = {};
        st.statements.forEach(function (s) { mine[s.index] = s.hash; });
        kept.forEach(function (k) {
          if (mine[k.index] !== k.hash) {
            found.push(tr("device.js.problem.missing", kindName(k.kind), k.index));
          }
        });
        if (!closed || !ballot) {
          return null;
        }
        return fetch("/ballots/" + ballot + "/proof", { credentials: "same-origin" }).then(function (res) {
          return res.ok ? res.text() : null;
        }).then(function (doc) {
          if (!doc) { return null; }
          var sealed;
          try {
            sealed = device("sealed", { document: doc, vkey: log.vkey, handle: st.handle, receipts: kept });
          } catch (err) {
            return null; // not a proof 2: nothing of this device's to check
          }
          sealed.problems.forEach(function (p) {
            found.push(p.index < 0 ? { text: tr("device.js.problem.sealed"), detail: p.reason } : tr("device.js.problem.not_used", kindName(p.kind), p.index));
          });
          return sealed;
        });
      }).then(function (sealed) {
        if (found.length) {
          problems(found);
        } else if (!kept.length) {
          outcome(tr("device.js.none"), "wait");
        } else if (sealed && sealed.on_roll) {
          outcome(tr("device.js.ok_counted", kept.length), "ok");
        } else {
          outcome(tr("device.js.ok_open", kept.length), "ok");
        }
        root.setAttribute("data-checked", found.length ? "bad" : "ok");
      });
    }).catch(function (err) {
      if (err.problem) {
        problems([err.message]);
        root.setAttribute("data-checked", "bad");
        return;
      }
      throw err;
    });
  }

  function visit() {
    outcome(tr("device.js.checking"), "wait");
    return Promise.all([loadState(), startChecker()]).then(function (r) {
      var st = r[0];
      return idb("keys", "readonly", function (s) { return s.get(st.handle); }).then(function (key) {
        showKeys(st, key);
        return check(st, key);
      });
    }).catch(function (err) {
      outcome(tr("device.js.no_checker", err.message), "bad");
      root.setAttribute("data-checked", "error");
    });
  }

  $("device-create-btn").addEventListener("click", function () {
    var pass = $("device-pass").value;
    if (pass && pass.length < 12) {
      note(tr("device.js.pass_short"), "error");
      return;
    }
    loadState().then(function (st) {
      return makeKey(st.handle, pass).then(function (key) {
        $("device-pass").value = "";
        note(tr("device.js.created", key.keyId), "ok");
        if (key.backedUp) {
          note(tr("device.js.backup_ready"), "ok");
        }
        showKeys(st, key);
        root.setAttribute("data-key", key.keyId);
      });
    }).catch(function (err) { note(tr("device.js.failed", err.message), "error"); });
  });

  $("device-restore-btn").addEventListener("click", function () {
    var f = $("device-file").files[0];
    var pass = $("device-restore-pass").value;
    if (!f) { return; }
    Promise.all([f.text(), loadState()]).then(function (r) {
      return restoreKey(r[1].handle, JSON.parse(r[0]), pass).then(function (key) {
        $("device-restore-pass").value = "";
        note(tr("device.js.restored", key.keyId), "ok");
        showKeys(r[1], key);
        root.setAttribute("data-key", key.keyId);
      });
    }).catch(function () { note(tr("device.js.restore_failed"), "error"); });
  });

  var flash = sessionStorage.getItem("koinon-device-flash");
  if (flash) {
    sessionStorage.removeItem("koinon-device-flash");
    note(flash, "ok");
  }
  // Without Ed25519 in WebCrypto the forms go to the server as they are.
  var supported = crypto.subtle.generateKey(ED, false, ["sign", "verify"]).then(function () {
    visit();
    return true;
  }, function () {
    unsupported = true;
    outcome(tr("device.js.no_webcrypto"), "wait");
    return false;
  });

  // KoinonDevice.sign is signAndSend for the other scripts of the page
  // (trustee.js): it resolves with the receipt, or with null where the
  // forms go as they are (no Ed25519 in WebCrypto), and the caller then
  // sends the content for the server to sign with the custodial key.
  window.KoinonDevice = {
    sign: function (kind, scope, content) {
      return supported.then(function (ok) {
        return ok ? signAndSend(kind, scope, content) : null;
      });
    }
  };
})();
