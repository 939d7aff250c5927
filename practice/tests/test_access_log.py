"""The access log (issue 12, item 8): who on the team viewed which client data, when and from where;
append-only in the database, read-only in Django admin, scoped to the admin's practice."""
import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from practice import audit
from practice.models import AccessKind, AccessLogEntry, Membership
from practice.tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

YEAR = "from=2025-01-01&to=2025-12-31"


def entries(**filters):
    return list(AccessLogEntry.objects.filter(**filters).order_by("id").values_list("user__email", "role", "kind",
                                                                                  "object_id", "description", "ip_address"))


def test_session_detail_records_the_session_and_its_notes_in_one_insert(login, world, django_assert_num_queries):
    session = SessionFactory(cast=world.home, clients=["Jamie Rivera"], private_note="Private: anxiety")
    client = login(world.home.practitioner)
    url = reverse("sessions_app:session_detail", args=[session.pk])
    response = client.get(url, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200 and "Private: anxiety" in response.content.decode()
    assert entries() == [
        ("practitioner@home.test", "practitioner", "session", str(session.pk), f"session {session.pk}", "203.0.113.7"),
        ("practitioner@home.test", "practitioner", "notes", str(session.pk), f"notes of session {session.pk}",
         "203.0.113.7"),
    ]
    # One INSERT per view, whatever else the page does.
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    inserts = [q["sql"] for q in captured.captured_queries if "practice_accesslogentry" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")
    assert AccessLogEntry.objects.count() == 4


def test_save_page_and_calendar_popup_are_recorded(login, world):
    session = SessionFactory(cast=world.home, clients=["Jamie Rivera"])
    client = login(world.home.staff)
    assert client.get(reverse("sessions_app:session_save", args=[session.pk])).status_code == 200
    assert client.get(reverse("sessions_app:session_popup", args=[session.pk])).status_code == 200
    assert [(e[2], e[3], e[4]) for e in entries()] == [
        ("session", str(session.pk), f"session {session.pk} (save page)"),
        ("session", str(session.pk), f"session {session.pk} (calendar pop-up)"),
    ]
    assert {e[0] for e in entries()} == {"staff@home.test"}


def test_client_account_invoice_and_pdf_are_recorded(login, world):
    client = login(world.home.admin)
    key = f"u{world.home.client.pk}"
    for name in ("billing:client_account", "billing:invoice", "billing:invoice_pdf"):
        response = client.get(reverse(name, args=["u", world.home.client.pk]) + "?" + YEAR)
        assert response.status_code == 200, name
    assert [(e[1], e[2], e[3], e[4]) for e in entries()] == [
        ("admin", "client_account", key, f"client account {key}"),
        ("admin", "invoice", key, f"invoice, client account {key}"),
        ("admin", "invoice", key, f"invoice PDF, client account {key}"),
    ]


def test_clients_viewing_their_own_data_are_not_logged(login, world):
    session = SessionFactory(cast=world.home, clients=["Client Home"], clients__client=world.home.client)
    client = login(world.home.client)
    assert client.get(reverse("sessions_app:session_detail", args=[session.pk])).status_code == 200
    assert client.get(reverse("billing:invoice", args=["u", world.home.client.pk]) + "?" + YEAR).status_code == 200
    assert client.get(reverse("billing:my_balance")).status_code == 200
    assert AccessLogEntry.objects.count() == 0


def test_refused_views_record_nothing(login, world):
    other = SessionFactory(cast=world.outsider, clients=["Someone Else"])
    client = login(world.home.admin)
    assert client.get(reverse("sessions_app:session_detail", args=[other.pk])).status_code == 404
    assert AccessLogEntry.objects.count() == 0


def test_the_database_refuses_update_and_delete(world):
    membership = Membership.objects.get(user=world.home.admin)
    entry = audit.record(membership, AccessKind.SESSION, 1, "session 1")
    assert entry.ip_address is None
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).update(description="nothing to see")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM practice_accesslogentry")
    assert AccessLogEntry.objects.get(pk=entry.pk).description == "session 1"


def test_token_hint_keeps_a_short_prefix_only():
    token = "Abc123xyz-very-long-secret-token-value-here"
    assert audit.token_hint(token) == "Abc123…"
    assert audit.token_hint("") == ""


def test_admin_list_is_read_only_and_scoped_to_the_practice(login, world):
    home = audit.record(Membership.objects.get(user=world.home.staff), AccessKind.SESSION, 11, "session 11")
    audit.record(Membership.objects.get(user=world.outsider.staff), AccessKind.SESSION, 22, "session 22")
    client = login(world.home.admin)
    changelist = client.get(reverse("admin:practice_accesslogentry_changelist"))
    assert changelist.status_code == 200
    body = changelist.content.decode()
    assert "session 11" in body and "session 22" not in body
    assert client.get(reverse("admin:practice_accesslogentry_add")).status_code == 403
    detail = client.get(reverse("admin:practice_accesslogentry_change", args=[home.pk]))
    assert detail.status_code == 200 and 'name="description"' not in detail.content.decode()
    assert client.post(reverse("admin:practice_accesslogentry_change", args=[home.pk]),
                       {"description": "changed"}).status_code == 403
    assert client.post(reverse("admin:practice_accesslogentry_delete", args=[home.pk]),
                       {"post": "yes"}).status_code == 403
    assert AccessLogEntry.objects.get(pk=home.pk).description == "session 11"
    # Another practice's row is not there for this admin; a non-admin has no admin at all.
    outsider_row = AccessLogEntry.objects.get(description="session 22")
    assert client.get(reverse("admin:practice_accesslogentry_change", args=[outsider_row.pk])).status_code in (302, 404)
    assert login(world.home.staff).get(reverse("admin:practice_accesslogentry_changelist")).status_code in (302, 403)
