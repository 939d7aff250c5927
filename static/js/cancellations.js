// Cancellation tool: the Apply button says what it does, the message and closure-title
// fields show only when they apply, and submitting asks first with the affected count
// (the list of affected sessions is swapped in by htmx, so it is looked up at submit).
(function () {
  "use strict";
  const form = document.getElementById("cancellation-form");
  if (!form) return;
  const labels = {notify_cancel: "Notify and cancel", cancel: "Cancel sessions", notify: "Send notices"};
  function sync() {
    const chosen = form.querySelector("input[name=action]:checked");
    const action = chosen ? chosen.value : "";
    form.querySelector("[data-apply-label]").textContent = labels[action] || "Apply";
    form.querySelector("[data-message-field]").hidden = action === "cancel";
    form.querySelector("[data-closure-title]").hidden = !form.querySelector("input[name=add_closure]").checked;
  }
  form.addEventListener("change", sync);
  form.addEventListener("submit", function (event) {
    const count = document.querySelector("[data-affected-count]");
    const n = count ? count.dataset.affectedCount : "the";
    const chosen = form.querySelector("input[name=action]:checked");
    const what = chosen && chosen.value === "notify" ? "Send the notice for " + n + " session(s)?" : "Cancel " + n + " session(s)? This cannot be undone.";
    if (!window.confirm(what)) event.preventDefault();
  });
  sync();
})();
