// Calendar page. Times travel as wall-clock times in the viewer's zone (the
// server converts), so FullCalendar runs in its UTC mode and never shifts them.
(function () {
  "use strict";
  const el = document.getElementById("calendar");
  if (!el || !window.FullCalendar) return;
  const canSchedule = el.dataset.canSchedule === "1";
  const filter = document.getElementById("practitioner-filter");
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const pad = (n) => String(n).padStart(2, "0");
  const day = (d) => d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
  const clock = (d) => pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  const wall = (d) => day(d) + "T" + clock(d) + ":00";

  function newSession(params) {
    window.location.href = el.dataset.newUrl + "?" + new URLSearchParams(params).toString();
  }

  function move(info) {
    const body = new URLSearchParams({ start: wall(info.event.start), end: wall(info.event.end || info.event.start) });
    fetch(el.dataset.moveUrl.replace("/0/", "/" + info.event.id + "/"), {
      method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin",
    }).then((r) => r.json().then((data) => ({ ok: r.ok, data: data }))).then(function (result) {
      if (!result.ok) { info.revert(); window.alert(result.data.error || "The session could not be moved."); }
    }).catch(function () { info.revert(); window.alert("The session could not be moved."); });
  }

  // Clicking a session opens a pop-up (loaded with htmx) instead of leaving the calendar.
  const modalEl = document.getElementById("session-modal");
  const modalBody = document.getElementById("session-modal-body");
  const modal = modalEl && modalBody && window.bootstrap && window.htmx ? window.bootstrap.Modal.getOrCreateInstance(modalEl) : null;

  function popupFailed(detailUrl) {
    modalBody.innerHTML = '<div class="d-flex justify-content-between gap-2"><p class="mb-2">This session could not be loaded.</p>' +
      '<button type="button" class="btn-close" data-bs-dismiss="modal" aria-label="Close"></button></div>' +
      '<a class="btn btn-outline-primary btn-sm" href="' + detailUrl + '">Open its details</a>';
  }

  function openPopup(info) {
    if (!modal || !info.event.url) return;  // no pop-up: follow the event's link to the details
    info.jsEvent.preventDefault();
    const url = el.dataset.popupUrl.replace("/0/", "/" + info.event.id + "/");
    modalBody.innerHTML = '<div class="d-flex align-items-center gap-2 text-body-secondary py-3" data-loading>' +
      '<span class="spinner-border spinner-border-sm" aria-hidden="true"></span> Loading the session…</div>';
    modal.show();
    window.htmx.ajax("GET", url, { target: "#session-modal-body", swap: "innerHTML" })
      .then(function () { if (modalBody.querySelector("[data-loading]")) popupFailed(info.event.url); })
      .catch(function () { popupFailed(info.event.url); });
  }

  const narrow = window.matchMedia("(max-width: 640px)").matches;
  const calendar = new FullCalendar.Calendar(el, {
    timeZone: "UTC",
    initialView: narrow ? "timeGridDay" : "dayGridMonth",
    initialDate: el.dataset.initialDate || undefined,
    headerToolbar: narrow
      ? { left: "prev,next", center: "title", right: "dayGridMonth,timeGridDay" }
      : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,timeGridDay" },
    buttonText: { today: "Today", month: "Month", week: "Week", day: "Day" },
    height: "auto",
    slotMinTime: "07:00:00",
    slotMaxTime: "21:00:00",
    slotDuration: "00:15:00",
    nowIndicator: true,
    dayMaxEvents: 4,
    navLinks: true,
    navLinkDayClick: function (date) { if (canSchedule) newSession({ date: day(date) }); else calendar.changeView("timeGridDay", date); },
    selectable: canSchedule,
    selectMirror: true,
    editable: canSchedule,
    eventDurationEditable: canSchedule,
    events: function (range, success, failure) {
      const params = new URLSearchParams({ start: wall(range.start), end: wall(range.end) });
      if (filter && filter.value) params.set("practitioner", filter.value);
      fetch(el.dataset.eventsUrl + "?" + params.toString(), { credentials: "same-origin" })
        .then((r) => r.json()).then(success).catch(failure);
    },
    dateClick: function (info) {
      if (canSchedule && info.view.type === "dayGridMonth") newSession({ date: day(info.date) });
    },
    select: function (info) {
      if (info.view.type === "dayGridMonth") return;  // month cells use dateClick
      const minutes = Math.round((info.end - info.start) / 60000);
      newSession({ date: day(info.start), time: clock(info.start), length: minutes });
    },
    eventClick: openPopup,
    eventDrop: move,
    eventResize: move,
    eventDidMount: function (info) {
      const p = info.event.extendedProps;
      const parts = [p.status, p.practitioner, p.room, p.closure ? "On closure: " + p.closure : ""].filter(Boolean);
      if (parts.length) info.el.title = info.event.title + " · " + parts.join(" · ");
      if (p.group) {
        const title = info.el.querySelector(".fc-event-title");
        if (title) title.insertAdjacentHTML("afterbegin", '<i class="bi bi-people-fill me-1" aria-label="Group"></i>');
      }
    },
  });
  calendar.render();
  if (filter) filter.addEventListener("change", () => calendar.refetchEvents());
  window.practiceCalendar = calendar;
})();
