"""The wages report a page of lines at a time (issue 17): the totals stay the sums of the whole period's wage
lines (DESIGN.md invariant 4) on every page, the lines of all pages are the whole report once, in order."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse

from billing import wages
from billing.models import EntryKind, LedgerEntry
from billing.tests.test_billing_pages import outcome, save, session_on
from sessions_app import completion
from sessions_app.models import CompletionType

pytestmark = pytest.mark.django_db
WAGES = reverse("billing:wages")
APRIL = {"from": "2025-04-01", "to": "2025-04-30"}


@pytest.fixture
def april(world):
    """7 saved sessions of the practitioner and 4 of the admin in April (one re-saved as Missed), one in May."""
    home = world.home
    for i in range(7):
        save(home, session_on(home, date(2025, 4, 1) + timedelta(days=i), client=home.client), outcome(home, "Completed"))
    for i in range(4):
        session = session_on(home, date(2025, 4, 10) + timedelta(days=i), practitioner=home.admin, client=home.client)
        save(home, session, outcome(home, "Completed"), member=home.admin)
    save(home, session, completion.Outcome(CompletionType.objects.get(practice=home.practice, label="Missed")), member=home.admin)
    save(home, session_on(home, date(2025, 5, 1), client=home.client), outcome(home, "Completed"))
    return home


def ledger_sums(home):
    lines = LedgerEntry.objects.filter(practice=home.practice, kind=EntryKind.WAGE,
                                       service_date__range=(date(2025, 4, 1), date(2025, 4, 30)))
    return ({row["practitioner_id"]: row["total"] for row in lines.values("practitioner_id").annotate(total=Sum("amount"))},
            lines.aggregate(total=Sum("amount"))["total"])


def test_every_page_has_the_whole_period_totals_and_the_pages_are_every_line_once(login, world, april, monkeypatch):
    home = april
    client = login(home.staff)
    whole = [(item.practitioner_id, line.day, line.client_name, line.label, line.amount.amount)
             for item in client.get(WAGES, APRIL).context["report"] for line in item.lines]
    assert len(whole) == 11
    monkeypatch.setattr(wages, "LINES_PER_PAGE", 3)
    per_practitioner, grand = ledger_sums(home)
    shown, number = [], 1
    while True:
        response = client.get(WAGES, {**APRIL, "page": number})
        report, page = response.context["report"], response.context["page"]
        assert {item.practitioner_id: item.total.amount for item in report} == per_practitioner
        assert response.context["total"].amount == grand
        assert [item.line_count for item in report] == [4, 7] or [item.line_count for item in report] == [7, 4]
        lines = [(item.practitioner_id, line.day, line.client_name, line.label, line.amount.amount)
                 for item in report for line in item.lines]
        assert len(lines) == (3 if page.has_next() else 2)
        html = response.content.decode()
        assert html.count("data-wage-line>") == len(lines) and f"of {len(whole)}," in html
        shown += lines
        if not page.has_next():
            break
        number += 1
    assert shown == whole and number == 4


def test_one_page_shows_no_page_links_and_the_summary_drills_down(login, world, april):
    response = login(april.staff).get(WAGES, APRIL)
    html = response.content.decode()
    assert 'rel="next"' not in html and "data-wage-page-note" not in html
    assert f"practitioner={april.practitioner.pk}" in html and f"practitioner={april.admin.pk}" in html  # to one practitioner's lines
    mine = login(april.practitioner).get(WAGES, APRIL).content.decode()
    assert f'href="#wages-{april.practitioner.pk}"' in mine


def test_pages_keep_the_period_and_the_practitioner(login, world, april, monkeypatch):
    monkeypatch.setattr(wages, "LINES_PER_PAGE", 3)
    response = login(april.staff).get(WAGES, {**APRIL, "practitioner": april.practitioner.pk})
    assert [item.total.amount for item in response.context["report"]] == [Decimal("630.00")]
    html = response.content.decode().replace("&amp;", "&")
    assert f"from=2025-04-01&to=2025-04-30&practitioner={april.practitioner.pk}&page=2" in html
