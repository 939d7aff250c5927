// Session form: add participant and service rows, show the address field that
// matches the invite method, fill prices from the service and contacts from
// the htmx suggestions, keep the session's and the payment's service in step,
// and show the recurrence preview.
(function () {
  "use strict";
  const form = document.getElementById("session-form");
  if (!form) return;
  const prices = JSON.parse(document.getElementById("service-prices").textContent);

  function showAddress(row) {
    const checked = row.querySelector("select[name$='-invite_method']");
    const method = checked ? checked.value : "email";
    row.querySelectorAll(".invite-address").forEach(function (el) {
      el.hidden = el.dataset.for !== method;
    });
    const save = row.querySelector(".save-contact");
    const contact = row.querySelector("input[name$='-contact']");
    if (save) save.hidden = Boolean(contact && contact.value);
  }

  function addRow(kind, quiet) {
    const total = form.querySelector("#id_" + kind + "-TOTAL_FORMS");
    const index = parseInt(total.value, 10);
    const html = document.getElementById(kind.replace(/s$/, "") + "-template").innerHTML.replace(/__prefix__/g, index);
    const holder = document.getElementById(kind.replace(/s$/, "") + "-rows");
    holder.insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    const row = holder.lastElementChild;
    if (kind === "participants") {
      const zone = row.querySelector("input[name$='-time_zone']");
      if (zone && !zone.value) zone.value = form.dataset.defaultZone || "";
      showAddress(row);
    }
    if (window.htmx) window.htmx.process(row);
    if (quiet) return row;
    const input = row.querySelector("input[type=text], select");
    if (input) input.focus();
    return row;
  }

  // The session's Service(s) and each participant's payment "Service" follow each other: the
  // session's first service fills an empty payment service (and its amount), and a payment
  // service fills the session's service while the session has none. A choice is never overwritten.
  function serviceRows() {
    return Array.prototype.filter.call(form.querySelectorAll("#service-rows .service-row"), function (row) {
      const remove = row.querySelector("input[name$='-DELETE']");
      return !(remove && remove.checked);
    });
  }

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (option) { return option.value === value; });
  }

  function firstSessionService() {
    const row = serviceRows()[0];
    const select = row && row.querySelector("select[name$='-service']");
    return select ? select.value : "";
  }

  function defaultPayment(row, value) {
    const service = row.querySelector("select[name$='-payment_service']");
    const amount = row.querySelector("input[name$='-payment_amount']");
    if (!service || service.value || !value || !hasOption(service, value)) return;
    service.value = value;
    if (amount && !amount.value && prices[value] !== undefined) amount.value = prices[value];
  }

  function followSessionService(select) {
    if (serviceRows()[0] !== select.closest(".service-row")) return;
    form.querySelectorAll("#participant-rows .participant-row").forEach(function (row) { defaultPayment(row, select.value); });
  }

  function followPaymentService(select) {
    const value = select.value;
    if (!value || serviceRows().some(function (row) {
      const service = row.querySelector("select[name$='-service']");
      return service && service.value;
    })) return;
    const row = serviceRows()[0] || addRow("services", true);
    const service = row.querySelector("select[name$='-service']");
    const price = row.querySelector("input[name$='-price']");
    if (!service || !hasOption(service, value)) return;
    service.value = value;
    if (price && !price.value && prices[value] !== undefined) price.value = prices[value];
  }

  function togglePayment(row, on) {
    row.querySelector(".require-payment").checked = on;
    row.querySelector(".require-payment-link").hidden = on;
    row.querySelector(".payment-fields").hidden = !on;
    if (on) {
      defaultPayment(row, firstSessionService());
      const service = row.querySelector("select[name$='-payment_service']");
      if (service && !service.value && service.options.length > 1) { service.selectedIndex = 1; fillPaymentAmount(row); }
    }
  }

  function fillPaymentAmount(row) {
    const service = row.querySelector("select[name$='-payment_service']");
    const amount = row.querySelector("input[name$='-payment_amount']");
    if (service && amount && prices[service.value] !== undefined) amount.value = prices[service.value];
  }

  form.addEventListener("click", function (event) {
    const requireLink = event.target.closest(".require-payment-link, .no-payment-link");
    if (requireLink) {
      event.preventDefault();
      togglePayment(requireLink.closest(".participant-row"), requireLink.classList.contains("require-payment-link"));
      return;
    }
    const add = event.target.closest("[data-add-row]");
    if (add) {
      event.preventDefault();
      addRow(add.dataset.addRow);
      return;
    }
    const pick = event.target.closest(".contact-pick");
    if (pick) {
      const row = pick.closest(".participant-row");
      const set = function (suffix, value) {
        const field = row.querySelector("[name$='-" + suffix + "']");
        if (field) field.value = value;
      };
      set("name", pick.dataset.name);
      set("contact", pick.dataset.contactId);
      set("invite_method", pick.dataset.inviteMethod);
      set("email", pick.dataset.email);
      set("phone", pick.dataset.phone);
      set("time_zone", pick.dataset.timeZone);
      row.querySelector(".suggestions").innerHTML = "";
      showAddress(row);
    }
  });

  form.addEventListener("change", function (event) {
    const target = event.target;
    if (target.matches("select[name$='-invite_method']")) showAddress(target.closest(".participant-row"));
    if (target.matches("select[name$='-payment_service']")) {
      fillPaymentAmount(target.closest(".participant-row"));
      followPaymentService(target);
    }
    if (target.matches("select[name^='services-'][name$='-service']")) {
      const price = target.closest(".service-row").querySelector("input[name$='-price']");
      if (price && prices[target.value] !== undefined) price.value = prices[target.value];
      followSessionService(target);
    }
  });

  form.addEventListener("input", function (event) {
    // Typing a new name unlinks the row from the contact it was filled from.
    if (event.target.matches(".participant-name")) {
      const row = event.target.closest(".participant-row");
      const contact = row.querySelector("input[name$='-contact']");
      if (contact && contact.value) { contact.value = ""; showAddress(row); }
    }
  });

  document.addEventListener("click", function (event) {
    if (!event.target.closest(".participant-row")) {
      form.querySelectorAll(".suggestions").forEach(function (el) { el.innerHTML = ""; });
    }
  });

  function showRepeat() {
    const preset = form.querySelector("select[name='repeat-preset']");
    if (!preset) return;
    form.querySelector(".repeat-custom").hidden = preset.value !== "custom";
    form.querySelector(".repeat-ends").hidden = preset.value === "";
  }
  form.addEventListener("change", function (event) {
    if (event.target.matches("select[name='repeat-preset']")) showRepeat();
  });

  // The recurrence preview ("Check the schedule") is rendered at the top of the form after Save:
  // bring it into view and focus it. "Back to the form" goes back to the filled form without
  // posting it again; changing a field also sets the preview aside (it no longer matches).
  const preview = form.querySelector("[data-preview]");
  function backToForm(moveFocus) {
    if (!preview || preview.hidden) return;
    preview.hidden = true;
    form.querySelectorAll("[data-preview-action]").forEach(function (el) { el.hidden = true; el.disabled = true; });
    const save = form.querySelector("[data-form-save]");
    if (save) { save.hidden = false; save.disabled = false; }
    if (moveFocus) {
      window.scrollTo(0, 0);
      const title = document.getElementById("session-form-title");
      if (title) title.focus({ preventScroll: true });
    }
  }
  if (preview) {
    form.addEventListener("click", function (event) {
      if (event.target.closest("[data-preview-back]")) { event.preventDefault(); backToForm(true); }
    });
    ["input", "change"].forEach(function (type) {
      form.addEventListener(type, function (event) {
        if (!event.target.closest("[data-preview]")) backToForm(false);
      });
    });
    preview.focus();
  }

  form.querySelectorAll(".participant-row").forEach(showAddress);
  showRepeat();
})();
