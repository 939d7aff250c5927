"""The session tables' rows, written in Python (sessions_app/session_rows.py): escaped, in the
viewer's zone, the badges and columns of each list."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test.html import parse_html
from django.utils import timezone

from practice.tests.factories import SessionFactory
from sessions_app.models import Closure, SessionStatus
from sessions_app.session_rows import session_rows

pytestmark = pytest.mark.django_db


def test_a_row_escapes_every_text_and_links_to_the_session(world):
    session = SessionFactory(cast=world.home, clients=[{"name": "<script>alert(1)</script>", "invite_method": "none"}])
    session.closure = Closure(title='Snow & <ice> "day"')
    session.completion_label = 'Late <Cancel>'
    session.status = SessionStatus.CANCELED
    html = session_rows([session], is_office=True)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "The practice is closed: Snow &amp; &lt;ice&gt; &quot;day&quot;" in html
    assert 'title="Canceled" data-completion-label>Late &lt;Cancel&gt;</span>' in html
    assert html.count(f'href="/sessions/{session.pk}/"') == 2


def test_times_are_in_the_viewers_zone(world, settings):
    start = datetime(2026, 11, 3, 14, 30, tzinfo=ZoneInfo("UTC"))
    session = SessionFactory(cast=world.home, start=start, end=start + timedelta(minutes=50))
    with timezone.override(ZoneInfo("America/Chicago")):
        html = session_rows([session])
    assert "Tue, Nov 3, 2026" in html and "8:30 AM–9:20 AM" in html and "Check the session of Nov 3, 8:30 AM" in html


def test_the_columns_of_each_list(world):
    session = SessionFactory(cast=world.home, clients=["Riley Park"])
    session.closure = None
    office = parse_html(session_rows([session], is_office=True))
    practitioner = parse_html(session_rows([session], is_office=False))
    ended = parse_html(session_rows([session], open_list=True, now=session.end + timedelta(hours=2)))
    assert len(office.children) == 8 and len(practitioner.children) == 7  # the <td>s, as the list's <th>s
    assert len(ended.children) == 6 and "2\xa0hours ago" in str(ended)
    assert "No participants" not in str(office) and "Riley Park" in str(office)


def test_the_hand_made_dates_read_as_djangos_date_formats():
    from django.utils import dateformat

    from sessions_app.session_rows import clock, day, short

    moments = [datetime(2026, month, 1 + month + offset, hour, minute) for month in range(1, 13) for offset in range(7)
               for hour in range(24) for minute in (0, 5, 59)]
    assert len({m.weekday() for m in moments}) == 7
    for moment in moments:
        assert day(moment) == dateformat.format(moment, "D, M j, Y")
        assert clock(moment) == dateformat.format(moment, "g:i A")
        assert short(moment) == dateformat.format(moment, "M j, g:i A")
