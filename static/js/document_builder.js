// The template builder: add field rows, and show the options or statement text a field's kind needs.
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  if (!form) return;
  var rows = document.getElementById("field-rows");
  var total = form.querySelector("input[name=fields-TOTAL_FORMS]");

  function sync(row) {
    var kind = row.querySelector("select[name$=-kind]").value;
    row.querySelector(".field-options").hidden = !(kind === "choice" || kind === "multi_choice");
    row.querySelector(".field-text").hidden = kind !== "statement";
    var required = row.querySelector("input[name$=-required]");
    required.disabled = kind === "statement" || kind === "signature";
  }
  function syncKind() {
    var pdf = form.querySelector("input[name=kind]:checked");
    form.querySelectorAll(".pdf-only").forEach(function (el) { el.hidden = !pdf || pdf.value !== "pdf"; });
  }
  rows.querySelectorAll(".field-row").forEach(sync);
  rows.addEventListener("change", function (event) {
    var row = event.target.closest(".field-row");
    if (row && event.target.name.match(/-kind$/)) sync(row);
  });
  form.querySelectorAll("input[name=kind]").forEach(function (el) { el.addEventListener("change", syncKind); });
  syncKind();
  document.getElementById("add-field").addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = document.getElementById("field-template").innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var row = rows.lastElementChild;
    sync(row);
    row.querySelector("input[name$=-label]").focus();
  });
})();
