"""The rows of the session tables (the session list, and the open-sessions list), written in Python.

A page holds 50 rows of a dozen cells, badges and links each: through template includes it cost
most of the page (issue 17: the list's last page was 12x a bare view). Here every row is one
pass of Python with every text escaped, the detail link built from one URL, and dates formatted
in the active time zone as the ``date`` and ``time`` filters do (``day``, ``clock``, ``short``).

The badges are the ones every page shows (the ``list_*_badge.html`` partials call these functions).
The open-sessions list (``open_list``) shows an "Ended" column instead of the series mark, the
room and the state, which are the same for every open session.
"""
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from sessions_app.presentation import badge_class

NOT_ANY = '<span class="text-body-secondary">{}</span>'


# English names as Django's "D" and "M" formats give them (the site is in English): formatting by
# hand is a tenth of dateformat's cost, which was half the rows' time (4 dates a row).
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clock(local) -> str:
    """"g:i A": 9:05 AM."""
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def day(local) -> str:
    """"D, M j, Y": Tue, Nov 3, 2026."""
    return f"{DAYS[local.weekday()]}, {MONTHS[local.month - 1]} {local.day}, {local.year}"


def short(local) -> str:
    """"M j, g:i A": Nov 3, 9:05 AM."""
    return f"{MONTHS[local.month - 1]} {local.day}, {clock(local)}"


def state_badge(session, show_label=True) -> str:
    """The status badge; ``show_label``: the saved completion's own label, with the status as its title."""
    status = escape(session.get_status_display())
    css = badge_class(session.status)
    if show_label and session.completion_label:
        return f'<span class="badge {css}" title="{status}" data-completion-label>{escape(session.completion_label)}</span>'
    return f'<span class="badge {css}">{status}</span>'


def closure_badge(session) -> str:
    closure = getattr(session, "closure", None)
    if not closure:
        return ""
    return (f'<span class="badge text-bg-danger" title="The practice is closed: {escape(closure.title)}">'
            '<i class="bi bi-exclamation-triangle"></i> Closure</span>')


def kind_badge(session) -> str:
    if session.kind == "orientation":
        return '<span class="badge text-bg-warning">Orientation</span>'
    if session.is_group:
        return '<span class="badge text-bg-info">Group</span>'
    return '<span class="badge text-bg-light border">One-to-one</span>'


def _row(session, url, *, open_list, is_office, now) -> str:
    start, end = timezone.localtime(session.start), timezone.localtime(session.end)
    names = ", ".join(escape(p.name) for p in session.participants.all()) or NOT_ANY.format("No participants")
    codes = ", ".join(escape(line.service.cpt_code) for line in session.session_services.all()) or NOT_ANY.format("–")
    series = (' <i class="bi bi-arrow-repeat" title="Part of a recurring series"></i>'
              if session.series_id and not open_list else "")
    cells = [
        f'<td class="bulk-check"><input class="form-check-input" type="checkbox" name="session" value="{session.pk}"'
        f' aria-label="Check the session of {short(start)}"></td>',
        f'<td class="text-nowrap"><a class="fw-semibold text-decoration-none" href="{url}">{day(start)}</a>'
        f'<div class="small text-body-secondary">{clock(start)}–{clock(end)}{series}</div>'
        + ("" if open_list else f'<div class="d-md-none">{state_badge(session)} {closure_badge(session)}</div>') + "</td>",
    ]
    if open_list:
        cells.append(f'<td class="small text-nowrap">{timesince(session.end, now)} ago {closure_badge(session)}</td>')
    if is_office:
        cells.append(f'<td class="small text-nowrap">{escape(str(session.practitioner))}</td>')
    cells.append(f'<td class="small" style="min-width: 11rem">{kind_badge(session)}<div>{names}</div></td>')
    cells.append(f'<td class="small text-nowrap">{codes}</td>')
    if not open_list:
        room = escape(str(session.room)) if session.room else "–"
        cells.append(f'<td class="small text-nowrap">{room}</td>')
        cells.append(f'<td class="text-nowrap d-none d-md-table-cell">{state_badge(session)} {closure_badge(session)}</td>')
    cells.append(f'<td class="text-end"><a class="btn btn-sm btn-outline-primary text-nowrap" href="{url}">Details</a></td>')
    return f'<tr data-session="{session.pk}">{"".join(cells)}</tr>'


def session_rows(sessions, *, open_list=False, is_office=False, now=None) -> SafeString:
    """The ``<tr>`` of each session (participants, services and their service, practitioner and room
    prefetched; ``closure`` set by ``closures.mark_closures``)."""
    now = now or timezone.now()
    before, after = reverse("sessions_app:session_detail", args=[0]).rsplit("/0/", 1)  # one reverse() per page
    template = before.replace("{", "{{").replace("}", "}}") + "/{}/" + after.replace("{", "{{").replace("}", "}}")
    return mark_safe("\n".join(_row(s, template.format(s.pk), open_list=open_list, is_office=is_office, now=now)
                               for s in sessions))
