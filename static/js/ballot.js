// Drag and drop for ranked ballots (irv, stv). The form works without
// this script: the up/down buttons reorder on the server. Dragging only
// moves the list items, whose hidden "rank" inputs carry the order.
(function () {
  "use strict";
  var list = document.getElementById("ranking");
  if (!list) { return; }
  var dragged = null;
  function refreshButtons() {
    var items = list.querySelectorAll("li");
    items.forEach(function (li, i) {
      var up = li.querySelector("button[name=up]");
      var down = li.querySelector("button[name=down]");
      if (up) { up.disabled = i === 0; }
      if (down) { down.disabled = i === items.length - 1; }
    });
  }
  list.addEventListener("dragstart", function (e) {
    dragged = e.target.closest("li");
    if (!dragged) { return; }
    dragged.classList.add("ballots-dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", dragged.dataset.key || "");
  });
  list.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("ballots-dragging"); }
    list.querySelectorAll(".ballots-over").forEach(function (li) { li.classList.remove("ballots-over"); });
    dragged = null;
    refreshButtons();
  });
  list.addEventListener("dragover", function (e) {
    var over = e.target.closest("li");
    if (!dragged || !over || over === dragged) { return; }
    e.preventDefault();
    var rect = over.getBoundingClientRect();
    var after = e.clientY > rect.top + rect.height / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", function (e) { e.preventDefault(); });
  // Keyboard users keep the buttons; with JS they move items in place.
  list.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b || (b.name !== "up" && b.name !== "down")) { return; }
    var li = b.closest("li");
    e.preventDefault();
    if (b.name === "up" && li.previousElementSibling) { list.insertBefore(li, li.previousElementSibling); }
    if (b.name === "down" && li.nextElementSibling) { list.insertBefore(li.nextElementSibling, li); }
    refreshButtons();
    b.focus();
  });
})();
