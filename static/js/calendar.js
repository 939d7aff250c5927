// Calendar page. FullCalendar runs in the viewer's zone (data-time-zone) through
// its luxon plugin: events arrive as instants with their offsets, and the now
// line, "today" and every day and time shown are the viewer's wall clock.
(function () {
  "use strict";
  const el = document.getElementById("calendar");
  if (!el || !window.FullCalendar || !window.luxon) return;
  const DateTime = window.luxon.DateTime;
  const zone = el.dataset.timeZone || "UTC";
  const canSchedule = el.dataset.canSchedule === "1";
  const filter = document.getElementById("practitioner-filter");
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const WALL = { includeOffset: false, suppressMilliseconds: true };  // "2030-03-10T02:30:00"

  // FullCalendar's ...Str values ("2030-01-07" or "2030-01-07T10:00:00-05:00") are
  // the viewer's wall clock: the form gets its day and time from them.
  const day = (str) => str.slice(0, 10);
  const clock = (str) => str.slice(11, 16);
  // A day FullCalendar hands over as a Date is its first instant; read at midday, a
  // clock change at midnight cannot turn it into the day before.
  const dayOf = (date) => DateTime.fromJSDate(date, { zone: zone }).plus({ hours: 12 }).toISODate();

  function newSession(params) {
    window.location.href = el.dataset.newUrl + "?" + new URLSearchParams(params).toString();
  }

  // The wall time a drag or a resize aimed at: the old one on the viewer's clock,
  // moved by FullCalendar's delta on that clock (one day later: the same time of day).
  function aimed(date, delta) {
    return DateTime.fromJSDate(date, { zone: zone }).setZone("UTC", { keepLocalTime: true })
      .plus({ years: delta.years, months: delta.months, days: delta.days, milliseconds: delta.milliseconds })
      .toISO(WALL);
  }

  // What the server is sent: the instant, with its offset, when the wall time is one
  // instant; the bare wall time when a clock change skips or repeats it, so the server
  // reads it by the session form's rule (practice.timezones.wall_time_to_aware).
  function instant(wall) {
    const moment = DateTime.fromISO(wall, { zone: zone });
    const one = moment.isValid && moment.toISO(WALL) === wall && moment.getPossibleOffsets().length === 1;
    return one ? moment.toISO({ suppressMilliseconds: true }) : wall;
  }

  const moved = (delta) => Boolean(delta && (delta.years || delta.months || delta.days || delta.milliseconds));

  // A drag sends the new start (the server keeps the session's elapsed length), a
  // resize the new end; then the events are fetched again, so the calendar shows
  // where the server put it.
  function move(info) {
    const body = new URLSearchParams();
    if (info.endDelta) {  // eventResize
      if (moved(info.startDelta)) body.set("start", instant(aimed(info.oldEvent.start, info.startDelta)));
      body.set("end", instant(aimed(info.oldEvent.end || info.oldEvent.start, info.endDelta)));
    } else {
      body.set("start", instant(aimed(info.oldEvent.start, info.delta)));
    }
    fetch(el.dataset.moveUrl.replace("/0/", "/" + info.event.id + "/"), {
      method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin",
    }).then((r) => r.json().then((data) => ({ ok: r.ok, data: data }))).then(function (result) {
      if (!result.ok) { info.revert(); window.alert(result.data.error || "The session could not be moved."); return; }
      calendar.refetchEvents();
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

  // An office view with no practitioner chosen gets at most so many sessions: the server says
  // so in a header, shown above the calendar until a practitioner or a shorter view is picked.
  const notice = document.getElementById("calendar-notice");
  function showNotice(text) {
    if (!notice) return;
    notice.querySelector("[data-notice-text]").textContent = text || "";
    notice.classList.toggle("d-none", !text);
  }

  const narrow = window.matchMedia("(max-width: 640px)").matches;
  const calendar = new FullCalendar.Calendar(el, {
    timeZone: zone,
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
    navLinkDayClick: function (date) { if (canSchedule) newSession({ date: dayOf(date) }); else calendar.changeView("timeGridDay", dayOf(date)); },
    selectable: canSchedule,
    selectMirror: true,
    editable: canSchedule,
    eventDurationEditable: canSchedule,
    eventAllow: (span) => !span.allDay,  // a session has a time: not into the all-day row
    events: function (range, success, failure) {
      const params = new URLSearchParams({ start: range.startStr, end: range.endStr });
      if (filter && filter.value) params.set("practitioner", filter.value);
      fetch(el.dataset.eventsUrl + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { showNotice(r.headers.get("X-Calendar-Notice")); return r.json(); })
        .then(success).catch(failure);
    },
    dateClick: function (info) {
      if (canSchedule && info.view.type === "dayGridMonth") newSession({ date: day(info.dateStr) });
    },
    select: function (info) {
      if (info.view.type === "dayGridMonth") return;  // month cells use dateClick
      const minutes = Math.round((info.end - info.start) / 60000);  // elapsed
      newSession({ date: day(info.startStr), time: clock(info.startStr), length: minutes });
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
