// Bulk save above a session list: Submit is enabled once an option is chosen AND a session is checked.
(function () {
  "use strict";
  document.querySelectorAll("[data-bulk-form]").forEach(function (form) {
    const all = form.querySelector("[data-select-all]");
    const option = form.querySelector("select[name='option']");
    const submit = form.querySelector("[data-bulk-submit]");
    const count = form.querySelector("[data-bulk-count]");
    const boxes = Array.from(form.querySelectorAll("input[name='session']"));
    if (!option || !submit || !count) return;  // an empty list has no bulk bar
    function update() {
      const checked = boxes.filter(function (box) { return box.checked; });
      submit.disabled = !(checked.length && option.value);
      count.textContent = checked.length
        ? checked.length + " session" + (checked.length === 1 ? "" : "s") + " checked" + (option.value ? "." : ": choose what to save them as.")
        : "Check sessions to save them together.";
      if (all) {
        all.checked = boxes.length > 0 && checked.length === boxes.length;
        all.indeterminate = checked.length > 0 && checked.length < boxes.length;
      }
      boxes.forEach(function (box) { box.closest("tr").classList.toggle("table-active", box.checked); });
    }
    if (all) all.addEventListener("change", function () { boxes.forEach(function (box) { box.checked = all.checked; }); update(); });
    form.addEventListener("change", update);
    form.addEventListener("submit", function (event) { if (submit.disabled) event.preventDefault(); });
    window.addEventListener("pageshow", update);
    update();
  });
})();
