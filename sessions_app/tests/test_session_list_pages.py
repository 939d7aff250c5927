"""The session list's pages (issue 17): a page in the second half is read backwards from the end, so the last
page skips no rows (no long OFFSET); every page together is every session once, in order, with filters kept."""
import html
import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from practice.tests.factories import SessionFactory
from sessions_app import listing

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")
LIST = reverse("sessions_app:session_list")


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime(2030, 3, 1, 15, 7, tzinfo=NY), tick=False):
        yield


def sessions(world, count, name="Pat Page", day=4, **fields):
    """``count`` sessions from 4 March, two at each start (one each for the practitioner and the admin), so
    the order needs its tie-breaker (pk)."""
    made = []
    for i in range(count):
        start = datetime(2030, 3, day, 7, tzinfo=NY) + timedelta(hours=i // 2)
        host = world.home.practitioner if i % 2 == 0 else world.home.admin
        made.append(SessionFactory(cast=world.home, practitioner=host, start=start, clients=[name], **fields))
    return made


def walk(client, params):
    """Every page by its Next links; the sessions of each page and the page numbers seen."""
    shown, numbers = [], []
    response = client.get(LIST, params)
    while True:
        page = response.context["page"]
        shown += [s.pk for s in page]
        numbers.append(page.number)
        found = re.search(r'href="([^"]*)" rel="next"', response.content.decode())
        if not found:
            return shown, numbers
        response = client.get(LIST + html.unescape(found.group(1)))


@pytest.mark.parametrize("size", [3, 4, 7])
def test_every_page_forward_and_back_is_every_session_once_in_order(login, world, monkeypatch, size):
    monkeypatch.setattr(listing, "PAGE_SIZE", size)
    made = sessions(world, 20)
    sessions(world, 3, name="Someone Else", day=5)  # filtered out by the client filter
    expected = sorted(made, key=lambda s: (s.start, s.pk))
    client = login(world.home.staff)
    params = {"client": "pat", "from": "2030-03-02", "state": "scheduled"}
    shown, numbers = walk(client, params)
    assert shown == [s.pk for s in expected] and numbers == list(range(1, -(-20 // size) + 1))
    backwards = []
    for number in reversed(numbers):  # each page asked directly, last first
        backwards = [s.pk for s in client.get(LIST, {**params, "page": number}).context["page"]] + backwards
    assert backwards == shown


def test_the_last_page_is_read_from_the_end_without_an_offset(login, world, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 4)
    made = sessions(world, 10)
    client = login(world.home.staff)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(LIST, {"page": 3}).context["page"]
    assert [s.pk for s in page] == [s.pk for s in sorted(made, key=lambda s: (s.start, s.pk))[8:]]
    rows = [q["sql"] for q in queries if q["sql"].startswith('SELECT "sessions_app_session"."id"')]
    assert len(rows) == 1 and "DESC" in rows[0] and "OFFSET" not in rows[0] and rows[0].endswith("LIMIT 2")
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, {"page": 2})  # the middle page: from the nearer end, skipping 2 rows at most
    rows = [q["sql"] for q in queries if q["sql"].startswith('SELECT "sessions_app_session"."id"')]
    assert len(rows) == 1 and rows[0].endswith(("LIMIT 4 OFFSET 2", "LIMIT 4 OFFSET 4"))


def test_out_of_range_and_unreadable_pages(login, world, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 4)
    sessions(world, 6)
    client = login(world.home.staff)
    for number, expected in (("99", 2), ("0", 2), ("lots", 1), ("", 1)):
        page = client.get(LIST, {"page": number}).context["page"]
        assert (page.number, len(page.object_list)) == (expected, 2 if expected == 2 else 4), number
    empty = client.get(LIST, {"client": "nobody", "page": "3"}).context["page"]
    assert empty.number == 1 and list(empty) == [] and empty.paginator.count == 0
