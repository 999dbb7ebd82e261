// time.js rewrites every <time datetime> element, which the server writes
// in UTC (labelled "UTC"), into the reader's time zone, and adds how long
// ago or from now it is ("in 3 hours", "vor 2 Tagen") in the page's
// language. The UTC label stays in the title attribute.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  var abs = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  var zone = new Intl.DateTimeFormat(lang, { timeZoneName: "short" });
  var rel = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });

  // relative says how far t is from now in the largest unit that fits.
  function relative(t) {
    var s = (t - Date.now()) / 1000;
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(s) >= units[i][1]) {
        return rel.format(Math.round(s / units[i][1]), units[i][0]);
      }
    }
    return rel.format(0, "minute");
  }

  // zoneName is the short name of the reader's zone at t ("CET", "GMT+1").
  function zoneName(t) {
    var part = zone.formatToParts(t).find(function (p) { return p.type === "timeZoneName"; });
    return part ? " " + part.value : "";
  }

  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var t = new Date(el.getAttribute("datetime"));
    if (isNaN(t)) {
      return;
    }
    el.textContent = abs.format(t) + zoneName(t) + " (" + relative(t) + ")";
  });
})();
