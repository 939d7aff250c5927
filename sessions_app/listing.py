"""The session list and the open sessions list: the filter form and the querysets.

Rows always start from ``access.sessions_visible_to(request.membership)``, so tenant and role
scoping cannot be skipped; these functions only narrow and order them.
"""
import zoneinfo
from datetime import date, datetime, time, timedelta

from django import forms
from django.core.paginator import InvalidPage, Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from practice.periods import DateRangeMixin
from practice.selectors import practitioners
from practice.widgets import FastSelect, ListedModelChoiceField
from sessions_app import access
from sessions_app.models import Participant, SessionService, SessionStatus

PAGE_SIZE = 50
FILTER_KEYS = ("from", "to", "practitioner", "client", "state")
# Dates outside this range are refused in plain words (and never overflow datetime).


# The columns a list row shows (sessions_app.session_rows), and nothing else: building a page's
# sessions, practitioners and participants with every column was most of the list's time (issue 17).
ROW_FIELDS = ("practice_id", "practitioner_id", "room_id", "kind", "start", "end", "status", "completion_label",
              "series_id", "practitioner__first_name", "practitioner__last_name", "practitioner__email", "room__name")


def with_row_data(sessions):
    """Everything a list row shows, in a fixed number of queries whatever the row count."""
    return sessions.select_related("practitioner", "room").only(*ROW_FIELDS).prefetch_related(
        Prefetch("participants", queryset=Participant.objects.only("session_id", "name", "is_client")),
        Prefetch("session_services", queryset=SessionService.objects.select_related("service")
                 .only("session_id", "position", "service__cpt_code")),
    )


def local_midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone`` (normalised through UTC, so a skipped midnight moves forward)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)


class SessionFilterForm(DateRangeMixin, forms.Form):
    inverted_message = "The “To” date is before the “From” date. Choose a later date, or clear one of them."

    """The GET form above the session list. Field names are the URL's: from, to, practitioner, client, state."""

    def __init__(self, data=None, *, request, **kwargs):
        super().__init__(data, **kwargs)
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(label="From", required=False, widget=date_input)
        self.fields["to"] = forms.DateField(label="To", required=False, widget=date_input)
        if request.membership.is_office:
            self.fields["practitioner"] = ListedModelChoiceField(
                label="Practitioner", required=False, empty_label="All practitioners",
                queryset=practitioners(request.practice).only("first_name", "last_name", "email"),
                error_messages={"invalid_choice": "Choose a practitioner from the list."}, widget=FastSelect,
            )
        self.fields["client"] = forms.CharField(
            label="Client", required=False, max_length=120, strip=True,
            widget=forms.TextInput(attrs={"placeholder": "Participant name", "type": "search"}),
        )
        self.fields["state"] = forms.ChoiceField(
            label="State", required=False, choices=[("", "Any state"), *SessionStatus.choices],
            error_messages={"invalid_choice": "Choose a state from the list."}, widget=FastSelect,
        )
        for name in ("from", "to"):
            self.fields[name].error_messages["invalid"] = "Enter a date like 2030-03-12."


def filter_form(request):
    """The bound filter form. A page opened without filters shows sessions from today on."""
    if any(key in request.GET for key in FILTER_KEYS):
        data = request.GET
    else:
        today = datetime.now(zoneinfo.ZoneInfo(request.user.time_zone)).date()
        data = {"from": today.isoformat()}
    return SessionFilterForm(data, request=request)


def filtered_sessions(request, form):
    """The visible sessions matching a valid filter form, soonest first."""
    zone = zoneinfo.ZoneInfo(request.user.time_zone)
    sessions = access.sessions_visible_to(request.membership)
    c = form.cleaned_data
    if c.get("from"):
        sessions = sessions.filter(start__gte=local_midnight(c["from"], zone))
    if c.get("to"):
        sessions = sessions.filter(start__lt=local_midnight(c["to"] + timedelta(days=1), zone))
    if c.get("practitioner"):
        sessions = sessions.filter(practitioner=c["practitioner"])
    if c.get("client"):
        named = Participant.objects.filter(session=OuterRef("pk"), name__icontains=c["client"])
        sessions = sessions.filter(Exists(named))
    if c.get("state"):
        sessions = sessions.filter(status=c["state"])
    return with_row_data(sessions).order_by("start", "pk")


def open_sessions(request, now=None):
    """Past sessions still scheduled: nobody has saved their outcome yet. Oldest first."""
    now = now or timezone.now()
    sessions = access.sessions_visible_to(request.membership).filter(end__lt=now, status=SessionStatus.SCHEDULED)
    return with_row_data(sessions).order_by("start", "pk")


class _FromEitherEnd:
    """A sliceable list for Paginator over ``sessions`` (ordered by start, pk): a slice in the second half
    is read backwards from the end (``ORDER BY start DESC, id DESC``), so no page skips more than half the
    rows and the last page skips none; the count is asked once."""

    def __init__(self, sessions):
        self.sessions = sessions
        self._count = None

    def count(self):
        if self._count is None:
            self._count = self.sessions.count()
        return self._count

    def __len__(self):
        return self.count()

    def __getitem__(self, part):
        start, stop = part.start or 0, part.stop
        total = self.count()
        if start <= total - stop:  # nearer the start
            return list(self.sessions[start:stop])
        rows = list(self.sessions.reverse()[total - stop:total - start])
        rows.reverse()
        return rows


def page_of(sessions, number, size=None):
    """A Django Page of ``sessions`` (ordered by start, pk), read from whichever end is nearer: the last
    page costs what the first does. Out-of-range and unreadable numbers behave as Paginator.get_page."""
    paginator = Paginator(_FromEitherEnd(sessions), size or PAGE_SIZE)
    try:
        return paginator.page(number)
    except InvalidPage:
        return paginator.get_page(number)
