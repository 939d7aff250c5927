"""The host schedules, edits and cancels sessions from the dashboard."""
import zoneinfo
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from practice.tests.factories import ContactFactory, RoomFactory, ServiceFactory
from sessions_app.models import Contact, Participant, Session, SessionService, SessionStatus
from sessions_app.tests.helpers import session_post

pytestmark = pytest.mark.django_db
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = datetime(2030, 3, 1, 15, 7, tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def test_dashboard_ends_with_the_three_buttons(login, world):
    page = login(world.home.practitioner).get(reverse("sessions_app:dashboard")).content.decode()
    assert page.index("New Session Now") < page.index("New Scheduled Session") < page.index("Orientation Session")
    assert "Upcoming sessions" in page


def test_new_session_now_is_prefilled_with_now_in_the_hosts_zone(login, world):
    response = login(world.home.practitioner).get(reverse("sessions_app:session_new"), {"now": 1})
    form = response.context["form"]
    assert form.initial["day"].isoformat() == "2030-03-01"
    assert form.initial["start_time"] == "15:05"
    assert form.initial["practitioner"] == world.home.practitioner.pk


def test_new_scheduled_session_takes_the_chosen_date_and_time(login, world):
    response = login(world.home.practitioner).get(reverse("sessions_app:session_new"), {"date": "2030-03-12", "time": "14:30"})
    assert response.context["form"].initial["day"].isoformat() == "2030-03-12"
    assert response.context["form"].initial["start_time"] == "14:30"
    assert "2:30 PM" in response.content.decode()


def test_orientation_session_is_with_the_practice_support_contact(login, world):
    response = login(world.home.practitioner).get(reverse("sessions_app:session_new"), {"orientation": 1})
    participant = response.context["participants"].forms[0].initial
    assert participant["name"] == "Tech Support" and participant["email"] == "support@example.com"
    assert participant["is_client"] is False
    assert response.context["form"].initial["kind"] == "orientation"


def test_host_schedules_a_group_session_with_two_services(login, world):
    extra_service = ServiceFactory(practice=world.home.practice, cpt_code="90785", name="Interactive complexity", price=Decimal("20"))
    client = login(world.home.practitioner)
    data = session_post(
        practitioner=world.home.practitioner, room=world.home.room.pk,
        participants=[
            {"name": "Jamie Rivera", "invite_method": "email", "email": "jamie@example.com", "time_zone": "America/Chicago"},
            {"name": "R.P.", "invite_method": "none", "time_zone": "America/New_York"},
            {"name": "Text Person", "invite_method": "text", "phone": "212 555 0142", "time_zone": "America/Denver"},
        ],
        services=[{"service": world.home.service.pk, "price": "150.00"}, {"service": extra_service.pk, "price": ""}],
    )
    response = client.post(reverse("sessions_app:session_new"), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    session = Session.objects.get()
    assert session.start == datetime(2030, 3, 12, 14, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))  # 10:00 EDT
    assert session.duration_minutes == 50 and session.is_group
    assert len(session.access_code) == 9 and session.access_code.isdigit()
    services = [(s.service.cpt_code, s.price) for s in session.session_services.all()]
    assert services == [("90837", Decimal("150.00")), ("90785", Decimal("20.00"))]
    assert Participant.objects.get(name="Text Person").phone == "+12125550142"

    page = client.get(reverse("sessions_app:dashboard")).content.decode()
    assert session.access_code in page
    assert "E-Mail/Text Not Used" in page
    assert "Group" in page
    assert "Tue Mar 12, 9:00 AM" in page  # Jamie's tile, in Chicago time


def test_one_client_makes_a_one_to_one_session(login, world):
    client = login(world.home.practitioner)
    client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner))
    session = Session.objects.get()
    assert not session.is_group
    assert "One-to-one" in client.get(reverse("sessions_app:dashboard")).content.decode()


@pytest.mark.parametrize(
    "change, where, message",
    [
        ({"participants-0-name": "J"}, "participants-0-name", "at least 2 characters"),
        ({"participants-0-email": ""}, "participants-0-email", "Enter an e-mail address"),
        ({"participants-0-invite_method": "text", "participants-0-phone": "555-01"}, "participants-0-phone", "valid phone number"),
        ({"participants-0-invite_method": "text", "participants-0-phone": ""}, "participants-0-phone", "Enter a cell phone number"),
        ({"participants-0-time_zone": "Mars/Base"}, "participants-0-time_zone", "not a time zone we know"),
        ({"time_zone": "Not/AZone"}, "time_zone", "not a time zone we know"),
        ({"duration_minutes": "0"}, "duration_minutes", "greater than or equal to 5"),
        ({"duration_minutes": ""}, "duration_minutes", "required"),
        ({"day": "2030-02-27"}, "day", "already passed"),
        ({"day": "not-a-date"}, "day", "Enter a valid date"),
        ({"start_time": "25:00"}, "start_time", "Select a valid choice"),
        ({"public_note": "x" * 2001}, "public_note", "at most 2000 characters"),
        ({"participants-0-name": "x" * 121}, "participants-0-name", "at most 120 characters"),
    ],
)
def test_bad_input_gets_a_form_error_and_writes_nothing(login, world, change, where, message):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), {**session_post(practitioner=world.home.practitioner), **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Session.objects.count() == 0 and Participant.objects.count() == 0


def test_negative_service_price_is_refused(login, world):
    client = login(world.home.practitioner)
    data = session_post(practitioner=world.home.practitioner, services=[{"service": world.home.service.pk, "price": "-1"}])
    response = client.post(reverse("sessions_app:session_new"), data)
    assert "greater than or equal to 0" in response.content.decode()
    assert Session.objects.count() == 0 and SessionService.objects.count() == 0


@pytest.mark.parametrize("services", [[], [{"service": "", "price": ""}]], ids=["no line", "a blank line"])
def test_a_session_with_a_client_needs_a_service(login, world, services):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner, services=services))
    assert response.status_code == 200
    assert "Choose at least one service: a session with a client is billed by its services." in response.content.decode()
    assert Session.objects.count() == 0 and Participant.objects.count() == 0


def test_an_orientation_or_a_session_without_a_client_needs_no_service(login, world):
    client = login(world.home.practitioner)
    support = {"name": "Tech Support", "invite_method": "none", "is_client": "False"}
    orientation = session_post(practitioner=world.home.practitioner, kind="orientation", delivery="video",
                               services=[], participants=[support])
    assert client.post(reverse("sessions_app:session_new"), orientation).status_code == 302
    team_only = session_post(practitioner=world.home.practitioner, time="14:00", services=[], participants=[support])
    assert client.post(reverse("sessions_app:session_new"), team_only).status_code == 302
    assert sorted(Session.objects.values_list("kind", flat=True)) == ["orientation", "regular"]
    assert SessionService.objects.count() == 0


def test_an_edit_cannot_leave_a_client_session_without_a_service(login, world):
    client = login(world.home.practitioner)
    client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner))
    session = Session.objects.get()
    jamie = session.participants.get()
    data = session_post(practitioner=world.home.practitioner, time="13:00", services=[], participants=[
        {"id": jamie.pk, "name": "Jamie Rivera", "invite_method": "none"}])
    data["participants-INITIAL_FORMS"] = 1
    response = client.post(reverse("sessions_app:session_edit", args=[session.pk]), data)
    assert response.status_code == 200
    assert "Choose at least one service" in response.content.decode()
    session.refresh_from_db()
    assert session.start.astimezone(NEW_YORK).hour == 10
    assert [s.service for s in session.session_services.all()] == [world.home.service]


def test_at_least_one_participant_is_needed(login, world):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner, participants=[]))
    assert "Please submit at least 1 form" in response.content.decode()
    assert Session.objects.count() == 0


def test_another_practices_service_room_or_contact_is_refused(login, world):
    client = login(world.home.practitioner)
    for change in (
        {"room": world.outsider.room.pk},
        {"participants-0-contact": world.outsider.contact.pk},
    ):
        response = client.post(reverse("sessions_app:session_new"), {**session_post(practitioner=world.home.practitioner), **change})
        assert response.status_code == 200
    data = session_post(practitioner=world.home.practitioner, services=[{"service": world.outsider.service.pk, "price": "10"}])
    assert client.post(reverse("sessions_app:session_new"), data).status_code == 200
    assert Session.objects.count() == 0


def test_a_practitioner_cannot_book_for_a_colleague(login, world):
    client = login(world.home.practitioner)
    response = client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.admin))
    assert "Select a valid choice" in response.content.decode()
    assert Session.objects.count() == 0


def test_staff_book_for_any_practitioner(login, world):
    client = login(world.home.staff)
    response = client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner))
    assert response.status_code == 302
    assert Session.objects.get().practitioner == world.home.practitioner


def test_double_booking_the_practitioner_gets_a_clear_error(login, world):
    client = login(world.home.practitioner)
    client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner, time="10:00"))
    response = client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner, time="10:30"))
    assert "The practitioner already has a session at that time." in response.content.decode()
    assert Session.objects.count() == 1 and Participant.objects.count() == 1
    # Back to back is fine: the first ends at 10:50.
    response = client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner, time="10:50"))
    assert response.status_code == 302


def test_an_in_person_room_is_not_double_booked_but_a_virtual_room_may_be(login, world):
    video = RoomFactory(practice=world.home.practice, name="Video", kind="virtual")
    client = login(world.home.staff)
    for person, room in ((world.home.practitioner, world.home.room), (world.home.admin, world.home.room)):
        response = client.post(reverse("sessions_app:session_new"), session_post(practitioner=person, room=room.pk))
    assert "That room is already booked at that time." in response.content.decode()
    assert Session.objects.count() == 1
    response = client.post(reverse("sessions_app:session_new"),
                           session_post(practitioner=world.home.admin, room=video.pk, delivery="video"))
    assert response.status_code == 302


def test_a_canceled_session_frees_its_time(login, world):
    client = login(world.home.practitioner)
    client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner))
    session = Session.objects.get()
    assert client.post(reverse("sessions_app:session_cancel", args=[session.pk])).status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELED
    assert f"data-access-code>{session.access_code}" not in client.get(reverse("sessions_app:dashboard")).content.decode()
    assert client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner)).status_code == 302


def test_host_edits_the_time_and_participants(login, world):
    client = login(world.home.practitioner)
    client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner, participants=[
        {"name": "Keep Me", "invite_method": "none"}, {"name": "Drop Me", "invite_method": "none"},
    ]))
    session = Session.objects.get()
    keep, drop = session.participants.order_by("id")
    data = session_post(practitioner=world.home.practitioner, time="13:00", participants=[
        {"id": keep.pk, "name": "Kept Renamed", "invite_method": "none"},
        {"id": drop.pk, "name": "Drop Me", "invite_method": "none", "DELETE": "on"},
        {"name": "New Person", "invite_method": "email", "email": "new@example.com"},
    ])
    data["participants-INITIAL_FORMS"] = 2
    response = client.post(reverse("sessions_app:session_edit", args=[session.pk]), data)
    assert response.status_code == 302, response.context["participants"].errors
    session.refresh_from_db()
    assert session.start.astimezone(NEW_YORK).hour == 13
    assert sorted(session.participants.values_list("name", flat=True)) == ["Kept Renamed", "New Person"]
    assert session.participants.get(name="Kept Renamed").pk == keep.pk


def test_save_to_my_contacts_creates_a_contact(login, world):
    client = login(world.home.practitioner)
    client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner, participants=[
        {"name": "Newly Met", "invite_method": "email", "email": "nm@example.com", "time_zone": "Europe/Paris", "save_contact": "on"},
    ]))
    contact = Contact.objects.get(name="Newly Met")
    assert contact.owner == world.home.practitioner and contact.time_zone == "Europe/Paris"
    assert Participant.objects.get(name="Newly Met").contact == contact


def test_contact_search_offers_the_hosts_contacts_by_first_or_last_name(login, world):
    ContactFactory(practice=world.home.practice, owner=world.home.practitioner, name="Robin Okafor", email="ro@example.com")
    ContactFactory(practice=world.home.practice, owner=world.home.admin, name="Robin Someone-Else")
    ContactFactory(practice=world.outsider.practice, owner=world.outsider.practitioner, name="Robin Outsider")
    client = login(world.home.practitioner)
    for text in ("rob", "oka"):
        page = client.get(reverse("sessions_app:contact_search"), {"participants-0-name": text}).content.decode()
        assert "Robin Okafor" in page and 'data-email="ro@example.com"' in page
        assert "Someone-Else" not in page and "Outsider" not in page


def test_another_practices_session_answers_404_for_every_role(login, world):
    other = login(world.outsider.practitioner)
    other.post(reverse("sessions_app:session_new"), session_post(practitioner=world.outsider.practitioner))
    theirs = Session.objects.get()
    for role in ("admin", "staff", "practitioner", "client"):
        client = login(world.home.member(role))
        assert client.get(reverse("sessions_app:session_edit", args=[theirs.pk])).status_code == 404
        assert client.post(reverse("sessions_app:session_cancel", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == SessionStatus.SCHEDULED


def test_clients_cannot_schedule(login, world):
    client = login(world.home.client)
    assert client.get(reverse("sessions_app:session_new")).status_code == 403
    assert client.post(reverse("sessions_app:session_new"), session_post(practitioner=world.home.practitioner)).status_code == 403
    assert Session.objects.count() == 0
