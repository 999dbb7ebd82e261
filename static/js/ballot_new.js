// The new-ballot form: shows only the fields the chosen method uses
// (the others are hidden and disabled, so they are not sent; without this
// script every field shows and the server ignores those the method does
// not use), and reads the closing time in the browser's time zone, which
// it names beside the field (without it the page says UTC).
(function () {
  "use strict";
  var form = document.getElementById("ballot-new");
  if (!form) { return; }
  var method = form.elements.method;
  function showFields() {
    form.querySelectorAll("[data-methods]").forEach(function (el) {
      var used = el.dataset.methods.split(" ").indexOf(method.value) >= 0;
      el.hidden = !used;
      el.querySelectorAll("input, select, textarea").forEach(function (f) { f.disabled = !used; });
    });
  }
  method.addEventListener("change", showFields);
  showFields();

  var tz = form.elements.tz;
  var hint = document.getElementById("h-closes_at");
  var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (tz && hint && zone && !tz.value) {
    tz.value = zone;
    hint.textContent = hint.dataset.local.replace("%s", zone);
  }
})();
