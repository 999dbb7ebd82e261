// Running total of a budget vote form: the sum of the ticked projects'
// costs beside the budget, as text and as a bar. The form works without
// this script: the server shows the total of the vote it holds.
(function () {
  "use strict";
  var box = document.getElementById("budget-running");
  if (!box) { return; }
  var form = box.closest("form");
  var budget = Number(box.dataset.budget);
  var currency = box.dataset.currency;
  var text = document.getElementById("budget-sum-text");
  var fill = document.getElementById("budget-fill");
  function money(n) {
    var s = String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    return currency ? s + "\u00a0" + currency : s;
  }
  function update() {
    var total = 0;
    form.querySelectorAll("input[name=choice][data-cost]:checked").forEach(function (c) {
      total += Number(c.dataset.cost);
    });
    var over = total > budget;
    var tpl = over ? box.dataset.over : box.dataset.within;
    text.textContent = tpl.replace("{total}", money(total)).replace("{budget}", money(budget));
    var pct = budget > 0 ? Math.min(100, Math.floor(total * 100 / budget)) : (total > 0 ? 100 : 0);
    fill.setAttribute("width", String(pct));
    fill.classList.toggle("over", over);
  }
  form.addEventListener("change", update);
  update();
}());
