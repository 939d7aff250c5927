"""Billing pages: client balances, account statements, invoices (HTML and PDF), wages, and who sees what."""
import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.http import Http404
from django.urls import reverse

from billing import access, ledger
from billing.models import EntryKind, LedgerEntry
from practice.models import Membership, PractitionerWage, Role, WageKind
from practice.tests.factories import (
    ContactFactory,
    MembershipFactory,
    ServiceFactory,
    SessionFactory,
    UserFactory,
)
from sessions_app import completion
from sessions_app.models import CompletionType

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
YEAR = "from=2025-01-01&to=2025-12-31"
ROLES = ["admin", "staff", "practitioner", "client"]


# --- helpers ---------------------------------------------------------------------------------

def session_on(cast, day, *, name="Jamie Rivera", service=None, price=None, client=None, contact=None, **fields):
    """A session of ``cast`` on ``day`` (10 AM unless ``hour=``) with one service and one client participant."""
    return SessionFactory(cast=cast, day=day, services=[(service or cast.service, price)], clients=[name], clients__client=client,
                          clients__contact=contact, **fields)


def outcome(cast, label):
    return completion.Outcome(CompletionType.objects.get(practice=cast.practice, label=label))


def late_cancel(cast):
    return CompletionType.objects.create(practice=cast.practice, map_status="canceled", label="Late Cancel",
                                         modifier_type="percent", client_modifier=50, practitioner_modifier=50)


def save(cast, session, chosen, member=None):
    membership = (member or cast.practitioner).memberships.get(practice=cast.practice)
    clients = session.participants.filter(is_client=True)
    completion.save_session(practice=cast.practice, actor=membership.user, membership=membership, session=session,
                            outcomes={p.pk: chosen for p in clients})


def url(name, kind=None, pk=None, query=YEAR):
    path = reverse(f"billing:{name}", args=[kind, pk] if kind else [])
    return f"{path}?{query}" if query else path


def pdf_text(data: bytes) -> str:
    """The text of a PDF as pypdf extracts it (through the embedded font's ToUnicode map, so
    DejaVu Sans subsets read back as the letters shown)."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def invoice_rows(response):
    return [(line.day, line.services, line.outcome, line.amount.amount) for line in response.context["invoice"].sessions]


@pytest.fixture
def three_outcomes(world):
    """home.client: Completed (150.00), Late Cancel 50% (75.00) and Canceled (0.00) in 2025."""
    home = world.home
    sessions = [session_on(home, date(2025, 3, d), client=home.client) for d in (3, 10, 17)]
    save(home, sessions[0], outcome(home, "Completed"))
    save(home, sessions[1], completion.Outcome(late_cancel(home)))
    save(home, sessions[2], outcome(home, "Canceled"))
    return sessions


# --- balances and invoices -------------------------------------------------------------------

def test_balances_after_completed_late_cancel_and_canceled(login, world, three_outcomes):
    home = world.home
    client = login(home.staff)
    response = client.get(url("client_account", "u", home.client.pk))
    assert response.status_code == 200
    statement = response.context["statement"]
    assert (statement.charges.amount, statement.payments.amount, statement.closing.amount) == (
        Decimal("225.00"), Decimal("0.00"), Decimal("225.00"))
    assert [line.running.amount for line in statement.lines] == [Decimal("150.00"), Decimal("225.00"), Decimal("225.00")]
    assert "225.00 USD" in response.content.decode()

    row = client.get(url("clients", query="")).context["page"].object_list[0]
    assert (row["kind"], row["pk"], row["charges"].amount, row["balance"].amount) == (
        "u", home.client.pk, Decimal("225.00"), Decimal("225.00"))

    response = client.get(url("invoice", "u", home.client.pk))
    assert invoice_rows(response) == [
        (date(2025, 3, 3), "90837", "Completed", Decimal("150.00")),
        (date(2025, 3, 10), "90837", "Late Cancel", Decimal("75.00")),
        (date(2025, 3, 17), "90837", "Canceled", Decimal("0.00")),
    ]
    invoice = response.context["invoice"]
    assert invoice.charges_total.amount == Decimal("225.00") and invoice.balance_due.amount == Decimal("225.00")
    html = response.content.decode()
    assert "Balance due" in html and "225.00 USD" in html and home.practice.name in html
    assert invoice.number == f"U{home.client.pk}-20250101-20251231" in html


def test_payments_reduce_the_balance_and_show_on_the_invoice(login, world, three_outcomes):
    home = world.home
    ledger.write(practice=home.practice, kind=EntryKind.PAYMENT, amount=Decimal("-100.00"), currency="USD",
                 label="Card payment", client=home.client, client_name="Jamie Rivera", service_date=date(2025, 4, 1))
    ledger.write(practice=home.practice, kind=EntryKind.PAYMENT, amount=Decimal("-20.00"), currency="USD",
                 label="Payment next year", client=home.client, client_name="Jamie Rivera", service_date=date(2026, 1, 5))
    client = login(home.admin)
    response = client.get(url("invoice", "u", home.client.pk))
    invoice = response.context["invoice"]
    assert [(p.label, p.amount.amount) for p in invoice.payments] == [("Card payment", Decimal("100.00"))]
    assert (invoice.payments_total.amount, invoice.balance_due.amount) == (Decimal("100.00"), Decimal("125.00"))
    statement = client.get(url("client_account", "u", home.client.pk)).context["statement"]
    assert (statement.payments.amount, statement.closing.amount, statement.current.amount) == (
        Decimal("100.00"), Decimal("125.00"), Decimal("105.00"))
    row = client.get(url("clients", query="")).context["page"].object_list[0]
    assert (row["payments"].amount, row["balance"].amount) == (Decimal("120.00"), Decimal("105.00"))
    # The next period starts with what was due.
    invoice = client.get(url("invoice", "u", home.client.pk, "from=2026-01-01&to=2026-12-31")).context["invoice"]
    assert (invoice.forward.amount, invoice.balance_due.amount) == (Decimal("125.00"), Decimal("105.00"))


def test_resaving_shows_only_the_current_outcome(login, world):
    home = world.home
    session = session_on(home, date(2025, 5, 5), client=home.client)
    save(home, session, outcome(home, "Completed"))
    save(home, session, completion.Outcome(late_cancel(home)))
    client = login(home.staff)
    response = client.get(url("invoice", "u", home.client.pk))
    assert invoice_rows(response) == [(date(2025, 5, 5), "90837", "Late Cancel", Decimal("75.00"))]
    assert response.context["invoice"].balance_due.amount == Decimal("75.00")
    assert "Completed" not in response.content.decode().split("invoice-sessions")[1]
    statement = client.get(url("client_account", "u", home.client.pk)).context["statement"]
    assert len(statement.lines) == 3 and statement.closing.amount == Decimal("75.00")  # the ledger keeps every line
    # Saved back to Completed: one line again, at the full fee.
    save(home, session, outcome(home, "Completed"))
    assert invoice_rows(client.get(url("invoice", "u", home.client.pk))) == [
        (date(2025, 5, 5), "90837", "Completed", Decimal("150.00"))]


def test_editing_then_deleting_the_type_changes_no_invoice(login, world):
    home = world.home
    late = late_cancel(home)
    session = session_on(home, date(2025, 6, 2), client=home.client)
    save(home, session, completion.Outcome(late))
    client = login(home.staff)
    with time_machine.travel(datetime(2025, 7, 1, 12, tzinfo=NY), tick=False):
        before = invoice_rows(client.get(url("invoice", "u", home.client.pk)))
        pdf_before = client.get(url("invoice_pdf", "u", home.client.pk)).content
        late.label, late.client_modifier, late.practitioner_modifier = "Very Late", 90, 90
        late.save()
        edited = client.get(url("invoice", "u", home.client.pk))
        assert invoice_rows(edited) == before == [(date(2025, 6, 2), "90837", "Late Cancel", Decimal("75.00"))]
        assert "Very Late" not in edited.content.decode()
        late.delete()
        assert invoice_rows(client.get(url("invoice", "u", home.client.pk))) == before
        pdf_after = client.get(url("invoice_pdf", "u", home.client.pk)).content
    assert pdf_after == pdf_before and "Late Cancel" in pdf_text(pdf_after)


def test_invoice_pdf_has_the_same_lines(login, world, three_outcomes):
    home = world.home
    home.client.first_name, home.client.last_name = "Jamie", "Rivera"
    home.client.save()
    response = login(home.staff).get(url("invoice_pdf", "u", home.client.pk))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="invoice-jamie-rivera-2025-01-01-2025-12-31.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    for expected in ("Late Cancel", "75.00", "150.00", "Completed", "Canceled", "90837", "Jamie Rivera",
                     home.practice.name, f"U{home.client.pk}-20250101-20251231", "225.00 USD", "Balance due"):
        assert expected in text, expected


def test_contact_and_unlinked_accounts(login, world):
    home = world.home
    save(home, session_on(home, date(2025, 2, 3), contact=home.contact, name="Riley Park"), outcome(home, "Completed"))
    save(home, session_on(home, date(2025, 2, 4), name="T.K."), outcome(home, "Missed"))
    client = login(home.admin)
    rows = {row["name"]: row for row in client.get(url("clients", query="")).context["page"].object_list}
    assert (rows[home.contact.name]["kind"], rows[home.contact.name]["pk"]) == ("c", home.contact.pk)
    assert (rows["T.K."]["kind"], rows["T.K."]["balance"].amount) == (None, Decimal("150.00"))
    response = client.get(url("invoice", "c", home.contact.pk))
    assert invoice_rows(response) == [(date(2025, 2, 3), "90837", "Completed", Decimal("150.00"))]
    assert client.get(url("client_account", "c", home.contact.pk)).context["statement"].closing.amount == Decimal("150.00")


def test_search_filters_accounts_not_lines(login, world):
    home = world.home
    other = UserFactory(first_name="Zed", last_name="Quinn")
    MembershipFactory(user=other, practice=home.practice, role=Role.CLIENT)
    save(home, session_on(home, date(2025, 2, 3), client=home.client), outcome(home, "Completed"))
    save(home, session_on(home, date(2025, 2, 4), client=other, name="Zed Quinn"), outcome(home, "Completed"))
    save(home, session_on(home, date(2025, 2, 5), client=other, name="Z.Q."), outcome(home, "Completed"))
    rows = login(home.staff).get(reverse("billing:clients") + "?q=quinn").context["page"].object_list
    assert [(row["name"], row["balance"].amount) for row in rows] == [("Zed Quinn", Decimal("300.00"))]


# --- who sees what ---------------------------------------------------------------------------

def test_client_sees_their_own_balance_and_invoice_only(login, world, three_outcomes):
    home = world.home
    other = UserFactory(first_name="Other", last_name="Person")
    MembershipFactory(user=other, practice=home.practice, role=Role.CLIENT)
    save(home, session_on(home, date(2025, 3, 4), client=other, name="Other Person"), outcome(home, "Completed"))
    client = login(home.client)

    response = client.get(url("my_balance"))
    assert response.status_code == 200
    assert response.context["statement"].closing.amount == Decimal("225.00") and len(response.context["statement"].lines) == 3
    html = response.content.decode()
    assert "Other Person" not in html and url("invoice", "u", home.client.pk).replace("&", "&amp;") in html
    assert client.get(url("invoice", "u", home.client.pk)).status_code == 200
    assert client.get(url("invoice_pdf", "u", home.client.pk)).status_code == 200

    for name in ("client_account", "invoice", "invoice_pdf"):
        assert client.get(url(name, "u", other.pk)).status_code == 404
        assert client.get(url(name, "c", home.contact.pk)).status_code == 404
    # Their own account page sends them to My balance.
    response = client.get(url("client_account", "u", home.client.pk))
    assert response.status_code == 302 and response["Location"].startswith(reverse("billing:my_balance"))
    assert client.get(url("clients", query="")).status_code == 403
    assert client.get(url("wages", query="")).status_code == 403


@pytest.mark.parametrize("role", ["admin", "staff", "practitioner"])
def test_my_balance_is_for_clients_only(login, world, role):
    assert login(world.home.member(role)).get(url("my_balance")).status_code == 403


def test_practitioner_sees_only_accounts_of_their_sessions(login, world):
    home = world.home
    colleague = UserFactory(first_name="Morgan", last_name="Reyes")
    MembershipFactory(user=colleague, practice=home.practice, role=Role.PRACTITIONER)
    theirs = UserFactory(first_name="Their", last_name="Client")
    MembershipFactory(user=theirs, practice=home.practice, role=Role.CLIENT)
    contact = ContactFactory(practice=home.practice, owner=colleague, name="Colleague Contact")
    save(home, session_on(home, date(2025, 1, 6), client=home.client), outcome(home, "Completed"))
    save(home, session_on(home, date(2025, 1, 7), practitioner=colleague, client=theirs), outcome(home, "Completed"), member=colleague)
    save(home, session_on(home, date(2025, 1, 8), practitioner=colleague, contact=contact, name="CC"), outcome(home, "Completed"),
         member=colleague)
    save(home, session_on(home, date(2025, 1, 9), practitioner=colleague, client=home.client), outcome(home, "Missed"), member=colleague)

    client = login(home.practitioner)
    rows = client.get(url("clients", query="")).context["page"].object_list
    # Only home.client, with the whole account (the colleague's session included).
    assert [(row["kind"], row["pk"], row["balance"].amount) for row in rows] == [("u", home.client.pk, Decimal("300.00"))]
    assert client.get(url("client_account", "u", home.client.pk)).status_code == 200
    for name in ("client_account", "invoice", "invoice_pdf"):
        assert client.get(url(name, "u", theirs.pk)).status_code == 404
        assert client.get(url(name, "c", contact.pk)).status_code == 404
    staff_rows = login(home.staff).get(url("clients", query="")).context["page"].object_list
    assert {(row["kind"], row["pk"]) for row in staff_rows} == {("u", home.client.pk), ("u", theirs.pk), ("c", contact.pk)}


@pytest.mark.parametrize("role", ROLES)
def test_another_practices_accounts_answer_404_for_every_role(login, world, role):
    outsider = world.outsider
    save(outsider, session_on(outsider, date(2025, 3, 3), client=outsider.client), outcome(outsider, "Completed"))
    save(outsider, session_on(outsider, date(2025, 3, 4), contact=outsider.contact), outcome(outsider, "Completed"))
    client = login(world.home.member(role))
    for name in ("client_account", "invoice", "invoice_pdf"):
        assert client.get(url(name, "u", outsider.client.pk)).status_code == 404, name
        assert client.get(url(name, "c", outsider.contact.pk)).status_code == 404, name
        assert client.get(url(name, "u", 987654321)).status_code == 404, name
    if role != "client":
        html = client.get(url("clients", query="")).content.decode()
        assert outsider.contact.name not in html and str(outsider.client) not in html


def test_access_functions_take_a_membership_not_a_request(world):
    """What a Celery task or a management command would call: the same scoping, no request."""
    home = world.home
    save(home, session_on(home, date(2025, 1, 6), client=home.client), outcome(home, "Completed"))
    save(world.outsider, session_on(world.outsider, date(2025, 1, 6), client=world.outsider.client),
         outcome(world.outsider, "Completed"))
    membership = {role: Membership.objects.get(practice=home.practice, user=home.member(role)) for role in ROLES}
    assert access.account_lines_visible_to(membership["staff"]).count() == 1
    assert access.client_account_for(membership["practitioner"], "u", home.client.pk).client == home.client
    assert access.own_account(membership["client"]).pk == home.client.pk
    for role in ROLES:
        with pytest.raises(Http404):
            access.client_account_for(membership[role], "u", world.outsider.client.pk)
    # A deactivated membership sees nothing.
    Membership.objects.filter(pk=membership["staff"].pk).update(is_active=False)
    membership["staff"].refresh_from_db()
    assert not access.account_lines_visible_to(membership["staff"]).exists()
    with pytest.raises(Http404):
        access.client_account_for(membership["staff"], "u", home.client.pk)


def test_logged_out_visitors_are_sent_to_log_in(client, world):
    response = client.get(url("invoice_pdf", "u", world.home.client.pk))
    assert response.status_code == 302 and "login" in response["Location"]


# --- wages -----------------------------------------------------------------------------------

@pytest.fixture
def wage_sessions(world):
    """The practitioner: 90.00 (60% of 150), 40.00 (fixed), 45.00 (Late Cancel, 50% of 90) = 175.00;
    the admin, as a practitioner: 90.00; one session in another month; one re-saved session."""
    home = world.home
    fixed = ServiceFactory(practice=home.practice, cpt_code="90834", price=Decimal("130.00"),
                           wage_kind=WageKind.FIXED, wage_amount=Decimal("40.00"))
    late = late_cancel(home)
    save(home, session_on(home, date(2025, 4, 1), client=home.client), outcome(home, "Completed"))
    save(home, session_on(home, date(2025, 4, 2), client=home.client, service=fixed), outcome(home, "Completed"))
    resaved = session_on(home, date(2025, 4, 3), contact=home.contact, name="Riley Park")
    save(home, resaved, outcome(home, "Completed"))
    save(home, resaved, completion.Outcome(late))
    save(home, session_on(home, date(2025, 5, 1), client=home.client), outcome(home, "Completed"))
    save(home, session_on(home, date(2025, 4, 1), practitioner=home.admin, client=home.client), outcome(home, "Completed"),
         member=home.admin)
    return home


def test_wages_report_for_the_office(login, world, wage_sessions):
    home = world.home
    response = login(home.staff).get(url("wages", query="from=2025-04-01&to=2025-04-30"))
    assert response.status_code == 200
    totals = {item.practitioner_id: item.total.amount for item in response.context["report"]}
    assert totals == {home.practitioner.pk: Decimal("175.00"), home.admin.pk: Decimal("90.00")}
    assert response.context["total"].amount == Decimal("265.00")
    mine = next(item for item in response.context["report"] if item.practitioner_id == home.practitioner.pk)
    assert [(line.day, line.client_name, line.label, line.amount.amount) for line in mine.lines] == [
        (date(2025, 4, 1), "Jamie Rivera", "90837 · Completed", Decimal("90.00")),
        (date(2025, 4, 2), "Jamie Rivera", "90834 · Completed", Decimal("40.00")),
        (date(2025, 4, 3), "Riley Park", "90837 · Late Cancel", Decimal("45.00")),
    ]
    assert "265.00 USD" in response.content.decode()
    only = login(home.admin).get(url("wages", query=f"from=2025-04-01&to=2025-04-30&practitioner={home.admin.pk}"))
    assert [item.practitioner_id for item in only.context["report"]] == [home.admin.pk]


def test_a_practitioner_sees_only_their_own_wages(login, world, wage_sessions):
    home = world.home
    response = login(home.practitioner).get(url("wages", query=f"from=2025-04-01&to=2025-04-30&practitioner={home.admin.pk}"))
    assert response.status_code == 200
    assert [(item.practitioner_id, item.total.amount) for item in response.context["report"]] == [
        (home.practitioner.pk, Decimal("175.00"))]
    assert str(home.admin) not in response.content.decode().split("</nav>", 1)[1]


def test_the_wages_choice_lists_active_practitioners_only(login, world):
    home = world.home
    former = UserFactory(first_name="Former", last_name="Colleague")
    MembershipFactory(user=former, practice=home.practice, role=Role.PRACTITIONER, is_active=False)
    choices = login(home.staff).get(url("wages", query="")).context["form"].fields["practitioner"].queryset
    assert set(choices) == {home.admin, home.practitioner}


def test_percentage_wage_override_is_reported(login, world):
    home = world.home
    PractitionerWage.objects.create(practice=home.practice, practitioner=home.practitioner, service=home.service,
                                    wage_kind=WageKind.PERCENT, wage_amount=Decimal("45"))
    save(home, session_on(home, date(2025, 4, 1), client=home.client), outcome(home, "Completed"))
    report = login(home.practitioner).get(url("wages", query="from=2025-04-01&to=2025-04-30")).context["report"]
    assert report[0].total.amount == Decimal("67.50")


def test_default_periods(login, world):
    home = world.home
    save(home, session_on(home, date(2024, 12, 30), client=home.client), outcome(home, "Completed"))
    save(home, session_on(home, date(2025, 6, 2), client=home.client), outcome(home, "Completed"))
    save(home, session_on(home, date(2025, 5, 30), client=home.client), outcome(home, "Missed"))
    with time_machine.travel(datetime(2025, 6, 15, 12, tzinfo=NY), tick=False):
        client = login(home.staff)
        statement = client.get(url("client_account", "u", home.client.pk, query="")).context["statement"]
        assert (statement.start, statement.end) == (date(2025, 1, 1), date(2025, 12, 31))
        assert (statement.forward.amount, len(statement.lines), statement.closing.amount) == (
            Decimal("150.00"), 2, Decimal("450.00"))
        report = client.get(url("wages", query="")).context["report"]
        assert [len(item.lines) for item in report] == [1]  # June only
        invoice = client.get(url("invoice", "u", home.client.pk, query="")).context["invoice"]
        assert (invoice.start, invoice.end, len(invoice.sessions)) == (date(2025, 1, 1), date(2025, 12, 31), 2)


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("query, message", [
    ("from=yesterday&to=2025-12-31", "Enter a date like"),
    ("from=2025-12-31&to=2025-01-01", "before the “From” date"),
    ("from=0001-01-01&to=2025-01-01", "Enter a date between 1900 and 2999"),
    ("from=2025-02-30&to=2025-03-01", "Enter a date like"),
    ("from=99999999-01-01", "Enter a date like"),
])
def test_bad_periods_get_a_plain_error(login, world, three_outcomes, query, message):
    home = world.home
    pages = [(home.staff, url("client_account", "u", home.client.pk, query)), (home.staff, url("invoice", "u", home.client.pk, query)),
             (home.staff, url("invoice_pdf", "u", home.client.pk, query)), (home.staff, url("wages", query=query)),
             (home.practitioner, url("wages", query=query)), (home.client, url("my_balance", query=query))]
    for member, path in pages:
        response = login(member).get(path)
        assert response.status_code == 400, path
        assert response["Content-Type"].startswith("text/html")
        assert message in response.content.decode(), path


def test_bad_search_and_page_get_plain_answers(login, world, three_outcomes):
    client = login(world.home.staff)
    response = client.get(reverse("billing:clients") + "?q=" + "x" * 300)
    assert response.status_code == 400 and "Enter at most 120 characters." in response.content.decode()
    assert client.get(reverse("billing:clients") + "?page=banana").status_code == 200
    assert client.get(url("wages", query="from=2025-01-01&to=2025-01-31&practitioner=nope")).status_code == 400


# --- bounded queries -------------------------------------------------------------------------

def add_saved_sessions(cast, count, *, first_day, clients=None):
    for i in range(count):
        person = clients[i % len(clients)] if clients else cast.client
        save(cast, session_on(cast, first_day + timedelta(days=i), client=person, name=str(person)), outcome(cast, "Completed"))


# Each page is asked twice and the second request counted (the first also loads the login session and content types).
# The ceilings are today's counts; with more data a count must not move at all.

@pytest.mark.parametrize("role, most", [("staff", 5), ("practitioner", 5)])
def test_client_list_queries_do_not_grow_with_accounts_or_sessions(login, world, role, most, django_assert_max_num_queries,
                                                                   django_assert_num_queries):
    home = world.home
    client = login(home.member(role))
    add_saved_sessions(home, 2, first_day=date(2025, 1, 1))
    path = url("clients", query="")
    client.get(path)
    with django_assert_max_num_queries(most) as captured:
        assert client.get(path).status_code == 200
    few = len(captured)
    people = []
    for _ in range(12):
        person = UserFactory()
        MembershipFactory(user=person, practice=home.practice, role=Role.CLIENT)
        people.append(person)
    add_saved_sessions(home, 24, first_day=date(2025, 2, 1), clients=people)
    client.get(path)
    with django_assert_num_queries(few):
        assert client.get(path).status_code == 200
    assert len(client.get(path).context["page"].object_list) == 13


# 6 + the access log INSERT (practice.audit) for a team member.
@pytest.mark.parametrize("name, most", [("invoice", 7), ("invoice_pdf", 7), ("client_account", 8)])  # +1: the account's documents
def test_invoice_queries_do_not_grow_with_sessions(login, world, name, most, django_assert_max_num_queries, django_assert_num_queries):
    home = world.home
    client = login(home.staff)
    add_saved_sessions(home, 2, first_day=date(2025, 1, 1))
    path = url(name, "u", home.client.pk)
    client.get(path)
    with django_assert_max_num_queries(most) as captured:
        assert client.get(path).status_code == 200
    few = len(captured)
    add_saved_sessions(home, 25, first_day=date(2025, 2, 1))
    session = home.practice.sessions.order_by("start").last()
    save(home, session, outcome(home, "Canceled"))  # and a re-saved one
    client.get(path)
    with django_assert_num_queries(few):
        assert client.get(path).status_code == 200


def test_wages_and_my_balance_queries_do_not_grow(login, world, django_assert_max_num_queries, django_assert_num_queries):
    home = world.home
    add_saved_sessions(home, 2, first_day=date(2025, 1, 1))
    wages, mine = url("wages", query=YEAR), url("my_balance")
    staff = login(home.staff)
    staff.get(wages)
    with django_assert_max_num_queries(5) as captured:
        assert staff.get(wages).status_code == 200
    few_wages = len(captured)
    me = login(home.client)
    me.get(mine)
    with django_assert_max_num_queries(6) as captured:
        assert me.get(mine).status_code == 200
    few_mine = len(captured)
    add_saved_sessions(home, 20, first_day=date(2025, 2, 1))
    save(home, session_on(home, date(2025, 3, 1), practitioner=home.admin, client=home.client), outcome(home, "Completed"),
         member=home.admin)
    me.get(mine)
    with django_assert_num_queries(few_mine):
        assert me.get(mine).status_code == 200
    staff = login(home.staff)
    staff.get(wages)
    with django_assert_num_queries(few_wages):
        assert staff.get(wages).status_code == 200


def test_no_float_in_the_figures(login, world, three_outcomes):
    statement = login(world.home.staff).get(url("client_account", "u", world.home.client.pk)).context["statement"]
    figures = [statement.charges, statement.payments, statement.closing, statement.current, statement.forward]
    figures += [line.running for line in statement.lines]
    assert all(isinstance(money.amount, Decimal) for money in figures)
    assert LedgerEntry.objects.filter(practice=world.home.practice).exists()
