// A participant document: the signature pad (vendored signature_pad), answers saved as they go,
// and the drawn signature put in the form as a PNG data URL when it is signed.
(function () {
  "use strict";
  var form = document.getElementById("document-form");
  if (!form) return;
  var canvas = document.getElementById("signature-pad");
  var hidden = form.querySelector("input[name=signature]");
  var state = document.getElementById("signature-state");
  var pad = null;

  function resize() {
    // The canvas is drawn at the screen's pixel ratio so the line is sharp on phones; resizing clears it.
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var data = pad && !pad.isEmpty() ? pad.toData() : null;
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    if (pad) {
      pad.clear();
      if (data) pad.fromData(data);
    }
  }

  if (canvas && window.SignaturePad) {
    pad = new window.SignaturePad(canvas, { penColor: "#0b1f44", minWidth: 0.8, maxWidth: 2.6, backgroundColor: "rgba(0,0,0,0)" });
    resize();
    var width = window.innerWidth;
    window.addEventListener("resize", function () {
      if (window.innerWidth !== width) { width = window.innerWidth; resize(); }  // not on a phone's toolbar scroll
    });
    pad.addEventListener("endStroke", function () { state.textContent = "Signed in the box."; });
    // A form sent back with an error keeps the signature drawn (unless the signature was the error).
    if (hidden.value.indexOf("data:image/png;base64,") === 0 && !canvas.closest(".border-danger")) {
      pad.fromDataURL(hidden.value, { ratio: 1, width: canvas.offsetWidth, height: canvas.offsetHeight })
        .then(function () { state.textContent = "Signed in the box."; });
    } else {
      hidden.value = "";
    }
    document.getElementById("signature-clear").addEventListener("click", function () {
      pad.clear();
      hidden.value = "";
      state.textContent = "";
    });
  }

  form.addEventListener("submit", function () {
    if (pad && !pad.isEmpty()) hidden.value = pad.toDataURL("image/png");
    else hidden.value = "";
    var button = document.getElementById("sign-button");
    window.setTimeout(function () { button.disabled = true; }, 0);  // one click, one submission (the server holds to it too)
  });

  // Autosave: the answers (not the signature) after each change, a moment after typing stops.
  var url = form.dataset.autosave;
  var shown = document.getElementById("autosave-state");
  var timer = null;
  function save() {
    var data = new FormData(form);
    data.delete("signature");
    fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (answer) {
        var refused = Object.keys(answer.errors || {}).length;
        shown.textContent = refused ? "Saved, except " + refused + " answer" + (refused > 1 ? "s" : "") + " to check." : "All answers saved.";
        shown.dataset.saved = "1";
      })
      .catch(function () { shown.textContent = "Not saved: check your connection. Your answers are still on this page."; });
  }
  form.addEventListener("input", function (event) {
    if (!event.target.name || !event.target.name.match(/^q/)) return;
    window.clearTimeout(timer);
    shown.textContent = "Saving…";
    timer = window.setTimeout(save, 600);
  });
  form.addEventListener("change", function (event) {
    if (!event.target.name || !event.target.name.match(/^q/)) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 100);
  });
})();
