"""Client balances, page by page (issue 17): each page sums only its own accounts' lines, in a fixed number
of queries, and every page's figures are the sums of the whole ledger (DESIGN.md invariant 4)."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing import access, statements
from billing.models import EntryKind, LedgerEntry
from practice.models import Membership, Role
from practice.tests.factories import ContactFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
CLIENTS = reverse("billing:clients")


def line(cast, kind, amount, *, client=None, contact=None, name="", practitioner=None):
    return LedgerEntry.objects.create(
        practice=cast.practice, kind=kind, amount=Decimal(amount), currency="USD", label=f"{kind} line", client=client,
        contact=contact, client_name=name or (str(client) if client else contact.name if contact else ""),
        practitioner=practitioner or cast.practitioner)


def accounts(cast, users=8, contacts=3, unlinked=("T.K.", "a.b.")):
    """Client users, contacts without one and unlinked names, each with charges, payments and a refund, some
    with the admin as practitioner; wage lines on every account (never part of a balance)."""
    for i in range(users):
        person = UserFactory(first_name=f"Client{i % 5}", last_name=f"Person{i}")
        MembershipFactory(user=person, practice=cast.practice, role=Role.CLIENT)
        host = cast.admin if i % 3 == 0 else cast.practitioner
        line(cast, EntryKind.CHARGE, "150.00", client=person, practitioner=host)
        line(cast, EntryKind.CHARGE, f"{10 + i}.25", client=person, practitioner=host)
        line(cast, EntryKind.WAGE, "90.00", client=person, practitioner=host)
        if i % 2:
            line(cast, EntryKind.PAYMENT, "-150.00", client=person, practitioner=host)
            line(cast, EntryKind.REFUND, "20.00", client=person, practitioner=host)
    for i in range(contacts):
        contact = ContactFactory(practice=cast.practice, owner=cast.practitioner, name=f"contact {i} Riley")
        line(cast, EntryKind.CHARGE, "80.00", contact=contact, practitioner=cast.admin if i == 0 else cast.practitioner)
        line(cast, EntryKind.ADJUSTMENT, "-5.00", contact=contact)
    for name in unlinked:
        line(cast, EntryKind.CHARGE, "60.00", name=name)
        line(cast, EntryKind.CHARGE, "70.00", name=name, practitioner=cast.admin)  # a practitioner sees only their own


def figures(rows):
    return [(row["kind"], row["pk"], row["name"], row["charges"].amount, row["payments"].amount, row["balance"].amount)
            for row in rows]


def whole_ledger(membership, search=""):
    """What the list must show, page after page: one grouped query over every visible line."""
    return figures(statements.summary_rows(
        statements.account_summaries(access.account_lines_visible_to(membership), search=search), "USD"))


def every_page(client, **params):
    rows, number = [], 1
    while True:
        page = client.get(CLIENTS, {**params, "page": number}).context["page"]
        rows += figures(page.object_list)
        if not page.has_next():
            return rows, page.paginator.count
        number += 1


@pytest.mark.parametrize("role", ["staff", "admin", "practitioner"])
@pytest.mark.parametrize("search", ["", "riley", "client1", "t.k"])
def test_pages_add_up_to_the_whole_ledger_in_order(login, world, role, search, monkeypatch):
    monkeypatch.setattr(statements, "PAGE_SIZE", 3)
    accounts(world.home)
    accounts(world.outsider, users=2, contacts=1)
    membership = Membership.objects.get(practice=world.home.practice, user=world.home.member(role))
    expected = whole_ledger(membership, search)
    assert expected  # every search finds someone
    shown, count = every_page(login(world.home.member(role)), q=search)
    assert shown == expected and count == len(expected)


def test_a_page_sums_only_its_own_accounts_in_a_fixed_number_of_queries(login, world, monkeypatch,
                                                                        django_assert_num_queries):
    """3 for the login (middleware); the page's accounts with their number; one grouped SUM over their lines only."""
    monkeypatch.setattr(statements, "PAGE_SIZE", 4)
    client = login(world.home.staff)
    accounts(world.home, users=2, contacts=1, unlinked=())
    client.get(CLIENTS)
    with django_assert_num_queries(5):
        assert len(client.get(CLIENTS).context["page"].object_list) == 3
    accounts(world.home, users=20, contacts=5)
    for number in (1, 3, 8):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(CLIENTS, {"page": number}).context["page"]
        assert len(queries) == 5 and page.number == number and page.paginator.count == 30
        sums = [q["sql"] for q in queries if "SUM(" in q["sql"]]
        assert len(sums) == 1
        page_users = [str(row["pk"]) for row in page.object_list if row["kind"] == "u"]
        # Only the page's accounts: their ids are in the WHERE clause (the whole-ledger GROUP BY had none).
        assert " IN (" in sums[0] and all(pk in sums[0] for pk in page_users)


def test_out_of_range_pages_show_the_last_and_nonsense_the_first(login, world, monkeypatch):
    monkeypatch.setattr(statements, "PAGE_SIZE", 4)
    accounts(world.home, users=6, contacts=0, unlinked=("T.K.",))
    client = login(world.home.staff)
    for out_of_range in (99, 0, -3):  # as Django's Paginator.get_page
        last = client.get(CLIENTS, {"page": out_of_range}).context["page"]
        assert (last.number, last.paginator.num_pages, len(last.object_list)) == (2, 2, 3)
    for nonsense in ("banana", ""):
        first = client.get(CLIENTS, {"page": nonsense}).context["page"]
        assert first.number == 1 and len(first.object_list) == 4
    nobody = client.get(CLIENTS, {"q": "nobody at all", "page": 5})
    assert nobody.status_code == 200 and nobody.context["page"].paginator.count == 0
    assert "No account matches" in nobody.content.decode()


def test_a_bad_search_shows_no_accounts_and_no_query_for_them(login, world, django_assert_num_queries):
    accounts(world.home, users=2, contacts=0, unlinked=())
    client = login(world.home.staff)
    client.get(CLIENTS)
    with django_assert_num_queries(3):
        response = client.get(CLIENTS, {"q": "x" * 300})
    assert response.status_code == 400 and list(response.context["page"].object_list) == []
