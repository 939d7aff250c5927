// Availability and service pages: "Add a range" / "Add a question" copy the formset's empty row
// (a <template> with __prefix__) and count it in TOTAL_FORMS; a ticked "Remove" dims its row; a
// question's Options show only for a choice; the practitioner picker shows the chosen practitioner
// at once. Without this file the pages still work: each formset has an empty row, every question
// shows its Options box, and the picker has its Show button.
(function () {
  "use strict";

  function addRow(prefix) {
    const total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    const template = document.getElementById(prefix + "-template");
    const holder = document.getElementById(prefix + "-rows");
    if (!total || !template || !holder) return;
    const index = parseInt(total.value, 10);
    holder.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
    total.value = String(index + 1);
    const input = holder.lastElementChild && holder.lastElementChild.querySelector("input:not([type=hidden]), select");
    if (input) input.focus();
    showOptions(holder.lastElementChild);
  }

  function showOptions(row) {
    const kind = row && row.querySelector("select[name$='-kind']");
    const options = row && row.querySelector("[data-choice-options]");
    if (!kind || !options) return;
    options.hidden = kind.value !== "choice" && !options.querySelector(".is-invalid");
  }

  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { addRow(button.dataset.addRow); });
  });

  document.addEventListener("change", function (event) {
    const remove = event.target.closest("[data-remove-row]");
    if (remove) {
      const row = remove.closest("[data-hours-row], [data-question-row]");
      if (row) row.classList.toggle("opacity-50", remove.checked);
    }
    if (event.target.matches("select[name$='-kind']")) showOptions(event.target.closest("[data-question-row]"));
    const picker = event.target.closest("select[data-auto-submit]");
    if (picker && picker.form) picker.form.submit();
  });

  document.querySelectorAll("[data-question-row]").forEach(showOptions);
  document.querySelectorAll("[data-show-button]").forEach(function (button) { button.hidden = true; });

  document.querySelectorAll("[data-remove-row]:checked").forEach(function (remove) {
    const row = remove.closest("[data-hours-row], [data-question-row]");
    if (row) row.classList.add("opacity-50");
  });
})();
