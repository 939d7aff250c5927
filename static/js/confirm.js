// Forms that ask first: <form data-confirm="Remove this closure?"> submits only when
// the person agrees. Delegated from the document, so forms loaded by htmx work too.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
})();
