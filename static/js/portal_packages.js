// Portal home: "Request a Session" opens the pop-up of the client's active packages when they have
// any (#packages-modal, loaded by htmx into the Packages card); else it goes to the booking page.
// A click made while the packages are still loading waits for them (up to 3 seconds).
(function () {
  "use strict";
  const WAIT_MS = 3000;

  function modal() {
    return document.getElementById("packages-modal");
  }

  function pending() {
    return document.querySelector("[data-packages-pending]");
  }

  function show(element) {
    if (element.parentElement !== document.body) document.body.appendChild(element);  // above every card
    window.bootstrap.Modal.getOrCreateInstance(element).show();
  }

  function openOrGo(href) {
    const found = modal();
    if (found) show(found);
    else window.location.assign(href);
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest("[data-request-session]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (!modal() && !pending()) return;  // no package to choose from: the booking page
    event.preventDefault();
    if (!pending()) {
      openOrGo(link.href);
      return;
    }
    const started = Date.now();
    const timer = window.setInterval(function () {
      if (!pending() || Date.now() - started > WAIT_MS) {
        window.clearInterval(timer);
        openOrGo(link.href);
      }
    }, 50);
  });

  // The packages could not be loaded: Request a Session goes straight to the booking page.
  for (const name of ["htmx:responseError", "htmx:sendError"]) {
    document.addEventListener(name, function (event) {
      const target = event.detail && event.detail.elt;
      if (target && target.hasAttribute("data-packages-pending")) target.removeAttribute("data-packages-pending");
    });
  }
})();
