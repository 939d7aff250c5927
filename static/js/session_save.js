// Save page: show the cost and wages only for the over-ride; "Same for everyone" fills every select.
(function () {
  "use strict";
  const form = document.getElementById("save-form");
  if (!form) return;
  const selects = Array.from(form.querySelectorAll("select[data-outcome]"));
  function sync(select) {
    const row = select.closest("[data-save-row]");
    const amounts = row && row.querySelector("[data-override-amounts]");
    if (amounts) amounts.hidden = select.value !== "override";
  }
  function highlight() {
    const chosen = new Set(selects.map((s) => s.value));
    form.querySelectorAll("[data-option-help]").forEach(function (item) {
      item.classList.toggle("is-chosen", chosen.has(item.dataset.optionHelp));
    });
  }
  selects.forEach(function (select) {
    select.addEventListener("change", function () { sync(select); highlight(); });
    sync(select);
  });
  highlight();
  const same = document.getElementById("same-for-everyone");
  if (same) {
    same.addEventListener("change", function () {
      if (!same.value) return;
      selects.forEach(function (select) { select.value = same.value; sync(select); });
      highlight();
    });
  }
})();
