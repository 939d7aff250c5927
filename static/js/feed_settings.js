// Calendar feed page: copy the private feed link, with a fallback that selects it.
(function () {
  "use strict";
  const input = document.getElementById("feed-url");
  const button = document.getElementById("copy-feed-url");
  const status = document.getElementById("copy-status");
  if (!input || !button || !status) return;
  const label = button.querySelector("span");

  function selectLink() {
    input.focus();
    input.select();
    input.setSelectionRange(0, input.value.length);
  }

  function copied() {
    label.textContent = "Copied";
    status.textContent = "Link copied. Paste it into your calendar app.";
    setTimeout(function () { label.textContent = "Copy link"; }, 2000);
  }

  function fallback() {
    selectLink();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    if (ok) { copied(); } else { status.textContent = "The link is selected: press Ctrl+C (⌘C on a Mac) to copy it."; }
  }

  input.addEventListener("focus", selectLink);
  button.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(copied, fallback);
    } else {
      fallback();
    }
  });
})();
