"""Request a Session through the portal, as a client walks it (issue 13): the steps, the request
the practitioner confirms or declines from the dashboard, booking without confirmation, the Booking
Page Form's answers, reschedule and cancel from Bookings, the portal home, and "just taken".

The clock stands still on Monday 7 January 2030, 08:00 in New York; the home practitioner
(New York) publishes 09:00–17:00 every day, slots every 30 minutes for a 50-minute service.
"""
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from notifications.models import Notification, NotificationKind, State
from practice.models import BookingQuestion, QuestionKind, Role
from practice.tests.factories import MembershipFactory, SessionFactory, UserFactory
from sessions_app.models import BookingAnswer, BookingState, Session, SessionStatus
from sessions_app.tests.portal_helpers import make_bookable

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=NY)
DAY = date(2030, 1, 9)  # Wednesday: both reminders (a day and an hour before) are still ahead
TEN = datetime(2030, 1, 9, 10, 0, tzinfo=NY)
TAKEN_MESSAGE = "That time was just taken — pick another"
REQUEST_SENT = "You should receive a confirmation email once your practitioner confirms the request."


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


# --- How a client walks the steps (also used by test_portal_rules) -------------------------------

def start_param(moment: datetime) -> str:
    """A slot as the portal writes it in a URL: UTC, to the minute."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def time_url(service, practitioner, method="video"):
    return reverse("portal:book_time", args=[service.pk, method, practitioner.pk])


def details_url(service, practitioner, method="video"):
    return reverse("portal:book_details", args=[service.pk, method, practitioner.pk])


def listed_starts(response) -> list[str]:
    """The slots a slot page offers, as the ``start`` of their links."""
    return re.findall(r'href="[^"]*\?start=(\d{8}T\d{4}Z)', response.content.decode())


def slot_labels(response) -> list[str]:
    return re.findall(r'data-slot="[^"]*">([^<]+)</a>', response.content.decode())


def day_page(client, service, practitioner, day=DAY, tz="America/New_York", method="video"):
    response = client.get(time_url(service, practitioner, method), {"tz": tz, "day": day.isoformat()})
    assert response.status_code == 200
    return response


def walk_to_review(client, service, practitioner, start, *, method="video", tz="America/New_York", answers=None):
    """Service → delivery method → (practitioner) → the day's slots → Booking Page Form → review."""
    page = client.get(reverse("portal:book"))
    assert page.status_code == 200 and service.name in page.content.decode()
    page = client.get(reverse("portal:book_method", args=[service.pk]))
    assert page.status_code == 200
    assert reverse("portal:book_practitioner", args=[service.pk, method]) in page.content.decode()
    page = client.get(reverse("portal:book_practitioner", args=[service.pk, method]), follow=True)
    assert page.redirect_chain[-1][0].startswith(time_url(service, practitioner, method))  # one practitioner: skipped
    page = day_page(client, service, practitioner, start.astimezone(ZoneInfo(tz)).date(), tz, method)
    assert start_param(start) in listed_starts(page)
    form = client.get(details_url(service, practitioner, method), {"start": start_param(start), "tz": tz})
    if form.status_code == 200:  # a Booking Page Form to fill in
        form = client.post(details_url(service, practitioner, method), {"start": start_param(start), "tz": tz, **(answers or {})})
    assert form.status_code == 302 and form.url == reverse("portal:book_review"), form.content.decode()[-3000:]
    review = client.get(reverse("portal:book_review"))
    assert review.status_code == 200 and "Confirm &amp; book" in review.content.decode()
    return review


def confirm_and_book(client):
    return client.post(reverse("portal:book_review"))


def to_client(cast):
    return Notification.objects.filter(to_address=cast.client.email)


def to_practitioner(cast):
    return Notification.objects.filter(to_address=cast.practitioner.email)


# --- Tests -----------------------------------------------------------------------------------------

@pytest.fixture
def service(world):
    return make_bookable(world.home)


@pytest.fixture
def as_client(world, login):
    return login(world.home.client)


@pytest.fixture
def client_factory():
    """Another logged-in client of the home practice, with a browser of their own."""
    def make(world, name="Morgan Quill"):
        first, last = name.split()
        user = UserFactory(first_name=first, last_name=last)
        MembershipFactory(user=user, practice=world.home.practice, role=Role.CLIENT)
        browser = Client()
        browser.force_login(user)
        browser.user = user
        return browser

    return make


def test_a_client_walks_the_steps_and_requests_a_session(world, service, as_client, django_capture_on_commit_callbacks):
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm_and_book(as_client)

    session = Session.objects.get()
    assert response.status_code == 302 and response.url == reverse("portal:booking", args=[session.pk])
    assert session.booking_state == BookingState.REQUESTED and session.status == SessionStatus.SCHEDULED
    assert (session.start, session.practitioner, session.delivery_method) == (TEN, world.home.practitioner, "video")
    assert [p.client for p in session.participants.all()] == [world.home.client]
    assert [line.service for line in session.session_services.all()] == [service]
    assert REQUEST_SENT in as_client.get(response.url).content.decode()
    assert confirm_and_book(as_client).url == reverse("portal:book")  # a second click books nothing more
    assert Session.objects.count() == 1

    # The request holds the slot: it is no longer offered.
    assert start_param(TEN) not in listed_starts(day_page(as_client, service, world.home.practitioner))
    assert start_param(TEN + timedelta(hours=1)) in listed_starts(day_page(as_client, service, world.home.practitioner))
    # The client hears nothing until the practitioner confirms; the practitioner gets one e-mail.
    assert not to_client(world.home).exists()
    assert list(to_practitioner(world.home).values_list("kind", "channel")) == [(NotificationKind.BOOKING_REQUEST, "email")]
    assert [m.to for m in mail.outbox] == [[world.home.practitioner.email]]


def test_the_practitioner_confirms_the_request_from_the_dashboard(world, service, as_client, login, django_capture_on_commit_callbacks):
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    confirm_and_book(as_client)
    session = Session.objects.get()
    mail.outbox.clear()

    practitioner = login(world.home.practitioner)
    dashboard = practitioner.get(reverse("sessions_app:dashboard"))
    confirm_url = reverse("sessions_app:request_confirm", args=[session.pk])
    assert confirm_url in dashboard.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = practitioner.post(confirm_url, {"next": reverse("sessions_app:dashboard")})
    assert response.status_code == 302 and response.url == reverse("sessions_app:dashboard")

    session.refresh_from_db()
    assert session.booking_state == BookingState.CONFIRMED and not session.is_requested
    invites = to_client(world.home).filter(kind=NotificationKind.INVITE)
    assert invites.count() == 1 and invites.get().channel == "email"
    assert to_client(world.home).filter(kind=NotificationKind.REMINDER, state=State.PENDING).count() == 2  # a day and an hour before
    assert [m.to for m in mail.outbox] == [[world.home.client.email]]  # the one confirmation e-mail, sent now
    # Confirming again changes nothing and sends nothing more.
    practitioner.post(confirm_url)
    assert to_client(world.home).filter(kind=NotificationKind.INVITE).count() == 1


def test_declining_frees_the_slot_and_tells_the_client(world, service, as_client, login, client_factory):
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    confirm_and_book(as_client)
    session = Session.objects.get()

    practitioner = login(world.home.practitioner)
    response = practitioner.post(reverse("sessions_app:request_decline", args=[session.pk]),
                                 {"next": reverse("sessions_app:dashboard"), "message": "I am away that morning."})
    assert response.status_code == 302

    session.refresh_from_db()
    assert (session.status, session.booking_state) == (SessionStatus.CANCELED, BookingState.DECLINED)
    assert list(to_client(world.home).values_list("kind", flat=True)) == [NotificationKind.BOOKING_DECLINED]
    assert "I am away that morning." in to_client(world.home).get().body_text
    as_client = login(world.home.client)
    assert start_param(TEN) in listed_starts(day_page(as_client, service, world.home.practitioner))

    # Someone else takes the freed time; confirming the declined request afterwards cannot double-book it.
    other = client_factory(world)
    walk_to_review(other, service, world.home.practitioner, TEN)
    confirm_and_book(other)
    answer = login(world.home.practitioner).post(reverse("sessions_app:request_confirm", args=[session.pk]), follow=True)
    assert "This session is not a request waiting for confirmation." in answer.content.decode()
    session.refresh_from_db()
    assert (session.status, session.booking_state) == (SessionStatus.CANCELED, BookingState.DECLINED)
    assert Session.objects.filter(start=TEN, status=SessionStatus.SCHEDULED).count() == 1


def test_without_confirmation_the_booking_is_confirmed_at_once_with_one_invitation(world, as_client):
    service = make_bookable(world.home, confirmation=False)
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    response = confirm_and_book(as_client)

    session = Session.objects.get()
    assert session.booking_state == BookingState.CONFIRMED and not session.is_requested
    assert "Your session is booked. A confirmation email is on its way." in as_client.get(response.url).content.decode()
    assert to_client(world.home).filter(kind=NotificationKind.INVITE).count() == 1
    assert to_client(world.home).filter(kind=NotificationKind.REMINDER).count() == 2
    assert list(to_practitioner(world.home).values_list("kind", flat=True)) == [NotificationKind.BOOKING_REQUEST]


def test_the_answers_are_saved_with_the_question_as_it_was_asked(world, service, as_client):
    questions = [
        BookingQuestion.objects.create(service=service, label="What brings you in?", kind=QuestionKind.SHORT_TEXT, required=True),
        BookingQuestion.objects.create(service=service, label="Anything else?", kind=QuestionKind.LONG_TEXT, position=1),
        BookingQuestion.objects.create(service=service, label="How did you hear of us?", kind=QuestionKind.CHOICE,
                                       choices="A friend\nA search\nMy doctor", position=2),
        BookingQuestion.objects.create(service=service, label="First visit?", kind=QuestionKind.YES_NO, position=3),
    ]
    answers = {f"q{questions[0].pk}": "Sleep", f"q{questions[1].pk}": "Line one\nLine two",
               f"q{questions[2].pk}": "My doctor", f"q{questions[3].pk}": "Yes"}
    review = walk_to_review(as_client, service, world.home.practitioner, TEN, answers=answers).content.decode()
    assert "What brings you in?" in review and "Line one<br>Line two" in review
    response = confirm_and_book(as_client)

    questions[0].label = "Reason for the visit"
    questions[0].save()
    session = Session.objects.get()
    assert list(BookingAnswer.objects.filter(session=session).values_list("question", "label", "answer")) == [
        (questions[0].pk, "What brings you in?", "Sleep"),
        (questions[1].pk, "Anything else?", "Line one\nLine two"),
        (questions[2].pk, "How did you hear of us?", "My doctor"),
        (questions[3].pk, "First visit?", "Yes"),
    ]
    detail = as_client.get(response.url).content.decode()
    assert "What brings you in?" in detail and "Reason for the visit" not in detail


def book_confirmed(world, as_client, start=TEN):
    service = make_bookable(world.home, confirmation=False)
    walk_to_review(as_client, service, world.home.practitioner, start)
    confirm_and_book(as_client)
    return service, Session.objects.get()


def reschedule(as_client, session, start, tz="America/New_York"):
    page = as_client.get(reverse("portal:booking_reschedule", args=[session.pk]),
                         {"tz": tz, "day": start.astimezone(ZoneInfo(tz)).date().isoformat()})
    assert start_param(start) in listed_starts(page)
    url = reverse("portal:booking_reschedule_confirm", args=[session.pk])
    assert as_client.get(url, {"start": start_param(start), "tz": tz}).status_code == 200
    return as_client.post(url, {"start": start_param(start), "tz": tz})


def test_a_reschedule_takes_the_new_slot_and_frees_the_old_one(world, as_client):
    service, session = book_confirmed(world, as_client)
    home = as_client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:booking_reschedule", args=[session.pk]) in home

    later = TEN + timedelta(minutes=30)  # overlaps the old time: possible only if both change together
    response = reschedule(as_client, session, later)
    assert response.status_code == 302 and response.url == reverse("portal:booking", args=[session.pk])

    session.refresh_from_db()
    assert (session.start, session.status, Session.objects.count()) == (later, SessionStatus.SCHEDULED, 1)
    slots = listed_starts(day_page(as_client, service, world.home.practitioner))
    assert start_param(TEN - timedelta(minutes=30)) in slots and start_param(later) not in slots
    # The old 10:00 is free once more (its neighbours overlap the new 10:30–11:20).
    assert start_param(TEN - timedelta(hours=1)) in slots and start_param(TEN + timedelta(hours=1)) not in slots

    moved = to_client(world.home).filter(kind=NotificationKind.RESCHEDULE)
    assert moved.count() == 1 and moved.get().about_start == later
    assert not to_client(world.home).filter(state=State.PENDING, about_start=TEN).exists()  # nothing about the old time


def test_a_reschedule_frees_the_old_start_for_everyone(world, as_client):
    service, session = book_confirmed(world, as_client)
    reschedule(as_client, session, TEN + timedelta(hours=3))
    slots = listed_starts(day_page(as_client, service, world.home.practitioner))
    assert start_param(TEN) in slots and start_param(TEN + timedelta(hours=3)) not in slots


def test_a_reschedule_to_a_time_taken_meanwhile_changes_nothing(world, as_client):
    service, session = book_confirmed(world, as_client)
    target = TEN + timedelta(hours=3)
    page = as_client.get(reverse("portal:booking_reschedule_confirm", args=[session.pk]), {"start": start_param(target)})
    assert page.status_code == 200
    SessionFactory(cast=world.home, start=target, end=target + timedelta(minutes=50))
    before = Notification.objects.count()

    response = as_client.post(reverse("portal:booking_reschedule_confirm", args=[session.pk]),
                              {"start": start_param(target), "tz": "America/New_York"}, follow=True)
    assert TAKEN_MESSAGE in response.content.decode()
    session.refresh_from_db()
    assert session.start == TEN and Notification.objects.count() == before


def test_rescheduling_a_request_sends_the_client_no_reschedule_email(world, service, as_client):
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    confirm_and_book(as_client)
    session = Session.objects.get()
    assert reschedule(as_client, session, TEN + timedelta(hours=2)).status_code == 302

    session.refresh_from_db()
    assert session.start == TEN + timedelta(hours=2) and session.is_requested
    assert not to_client(world.home).exists()


def test_a_cancel_frees_the_slot(world, as_client):
    service, session = book_confirmed(world, as_client)
    assert start_param(TEN) not in listed_starts(day_page(as_client, service, world.home.practitioner))
    page = as_client.get(reverse("portal:booking_cancel", args=[session.pk]))
    assert page.status_code == 200
    response = as_client.post(reverse("portal:booking_cancel", args=[session.pk]), follow=True)
    assert "Your session is canceled." in response.content.decode()

    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELED
    assert start_param(TEN) in listed_starts(day_page(as_client, service, world.home.practitioner))
    assert to_client(world.home).filter(kind=NotificationKind.CANCEL).count() == 1
    assert not to_client(world.home).filter(kind=NotificationKind.REMINDER, state=State.PENDING).exists()


def test_the_portal_home_lists_upcoming_sessions_with_the_requested_badge_and_past_ones(world, service, as_client):
    past = SessionFactory(cast=world.home, past=True, clients=[{"name": "Riley Park", "client": world.home.client}])
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    confirm_and_book(as_client)
    confirmed = SessionFactory(cast=world.home, day=date(2030, 1, 10), hour=14, clients=[{"client": world.home.client}])
    SessionFactory(cast=world.home, day=date(2030, 1, 11), clients=["Someone Else"])  # not theirs

    home = as_client.get(reverse("portal:home")).content.decode()
    assert "Request a Session" in home
    bookings, past_part = home.split("Past and canceled")
    assert bookings.index("Wednesday, January 9 · 10:00 AM") < bookings.index("Thursday, January 10 · 2:00 PM")
    assert "Requested · waiting for confirmation" in bookings
    assert reverse("portal:booking", args=[confirmed.pk]) in bookings
    assert reverse("portal:booking", args=[past.pk]) in past_part and reverse("portal:booking", args=[past.pk]) not in bookings
    assert "Friday, January 11" not in home and "Someone Else" not in home
    assert "Requested" not in past_part


def test_an_upcoming_confirmed_booking_reads_confirmed_also_when_the_client_has_past_sessions(world, service, as_client):
    SessionFactory(cast=world.home, past=True, clients=[{"name": "Riley Park", "client": world.home.client}])
    SessionFactory(cast=world.home, day=date(2030, 1, 10), hour=14, clients=[{"client": world.home.client}])

    bookings, past_part = as_client.get(reverse("portal:home")).content.decode().split("Past and canceled")
    assert "Confirmed" in bookings and ">Past<" not in bookings
    assert ">Past<" in past_part


def test_confirming_a_session_that_is_not_a_request_is_a_plain_message(world, login):
    session = SessionFactory(cast=world.home, clients=[{"name": "Riley Park", "client": world.home.client}])
    practitioner = login(world.home.practitioner)
    for action in ("request_confirm", "request_decline"):
        response = practitioner.post(reverse(f"sessions_app:{action}", args=[session.pk]), follow=True)
        assert response.status_code == 200
        assert "This session is not a request waiting for confirmation." in response.content.decode()
    session.refresh_from_db()
    assert (session.status, session.booking_state) == (SessionStatus.SCHEDULED, BookingState.CONFIRMED)
    assert not Notification.objects.exists()


def test_confirm_and_book_after_another_client_took_the_slot_shows_fresh_slots(world, service, as_client, client_factory):
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    other = client_factory(world)
    walk_to_review(other, service, world.home.practitioner, TEN)
    assert confirm_and_book(other).status_code == 302

    response = confirm_and_book(as_client)
    assert response.status_code == 302
    assert response.url == time_url(service, world.home.practitioner) + f"?tz=America/New_York&day={DAY.isoformat()}"
    page = as_client.get(response.url)
    assert TAKEN_MESSAGE in page.content.decode()
    slots = listed_starts(page)
    assert start_param(TEN) not in slots and start_param(TEN + timedelta(hours=1)) in slots
    assert Session.objects.count() == 1 and Session.objects.get().participants.get().client != world.home.client
    assert not to_client(world.home).exists()
    # The client picks another time and books it.
    walk_to_review(as_client, service, world.home.practitioner, TEN + timedelta(hours=1))
    assert confirm_and_book(as_client).status_code == 302
    assert Session.objects.count() == 2


def test_a_request_nobody_answered_before_it_began_is_declined_and_the_client_told(world, service, as_client):
    from sessions_app import booking, tasks

    walk_to_review(as_client, service, world.home.practitioner, TEN)
    confirm_and_book(as_client)
    session = Session.objects.get()
    assert booking.decline_unanswered(now=TEN - timedelta(minutes=1)) == 0  # still time to answer it
    with time_machine.travel(TEN + timedelta(minutes=3), tick=False):
        assert tasks.decline_unanswered_requests() == 1
        assert tasks.decline_unanswered_requests() == 0  # once
    session.refresh_from_db()
    assert session.booking_state == BookingState.DECLINED and session.status == SessionStatus.CANCELED
    [told] = to_client(world.home).filter(kind=NotificationKind.BOOKING_DECLINED)
    assert "Nobody confirmed this request before its time began" in told.body_text
    # An answered one is left alone: a confirmed session that has begun is not touched.
    other = SessionFactory(cast=world.home, start=TEN - timedelta(days=1))
    assert other.booking_state != BookingState.REQUESTED
    with time_machine.travel(TEN + timedelta(days=1), tick=False):
        assert booking.decline_unanswered() == 0
    other.refresh_from_db()
    assert other.status == SessionStatus.SCHEDULED
