// Texts for page scripts in the reader's language: the template passes
// the locale keys a script needs as JSON in the root element's data-texts.
// KoinonTexts(el) returns tr(key, …args), which fills each %s with the next
// argument (a missing text shows its key); tr.texts is the whole map.
window.KoinonTexts = function (el) {
  "use strict";
  var texts = {};
  try {
    texts = JSON.parse(el.getAttribute("data-texts") || "{}");
  } catch (e) { /* keys stand in for texts */ }
  function tr(key) {
    var s = texts[key] || key;
    for (var i = 1; i < arguments.length; i++) {
      s = s.replace("%s", String(arguments[i]));
    }
    return s;
  }
  tr.texts = texts;
  return tr;
};
