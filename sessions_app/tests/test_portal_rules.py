"""The Rules of issue 13 for portal booking: one slot rule for listing and booking, concurrency on
real PostgreSQL, who sees what, bad input, time zones and query counts.

The clock stands still on Monday 7 January 2030, 08:00 in New York; the home practitioner
(New York) publishes 09:00–17:00 every day, slots every 30 minutes for a 50-minute service.
"""
import re
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification
from practice.errors import Conflict, DomainError
from practice.models import BookingQuestion, DayOff, QuestionKind, Role
from practice.tests.factories import MembershipFactory, ServiceFactory, SessionFactory, UserFactory
from sessions_app import booking, scheduling
from sessions_app.booking import SLOT_NOT_OFFERED, SLOT_TAKEN
from sessions_app.models import BookingAnswer, BookingState, Closure, InviteMethod, Session, SessionStatus
from sessions_app.tests.helpers import session_post
from sessions_app.tests.portal_helpers import make_bookable
from sessions_app.tests.test_portal_booking import (
    DAY,
    TAKEN_MESSAGE,
    TEN,
    confirm_and_book,
    day_page,
    details_url,
    listed_starts,
    slot_labels,
    start_param,
    time_url,
    walk_to_review,
)

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=NY)
THREADS = 20
DRAFT = "portal_booking"
NOTHING_WRITTEN = "nothing written"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def service(world):
    return make_bookable(world.home)


@pytest.fixture
def as_client(world, login):
    return login(world.home.client)


def new_client(world, name="Morgan Quill", practice=None):
    """Another client of the home practice (or ``practice``), logged in in a browser of their own."""
    first, last = name.split()
    user = UserFactory(first_name=first, last_name=last)
    MembershipFactory(user=user, practice=practice or world.home.practice, role=Role.CLIENT)
    browser = Client()
    browser.force_login(user)
    browser.user = user
    return browser


def membership(world):
    return world.home.client.memberships.get()


def booking_data(world, service, start, method="video", answers=None):
    return booking.BookingData(service=service, delivery_method=method, practitioner=world.home.practitioner, start=start,
                               time_zone="America/New_York", answers=answers or {})


def tamper_draft(browser, **changes):
    """What a stale page or an edited request puts in the draft Confirm & book sends."""
    session = browser.session
    session[DRAFT] = {**session[DRAFT], **changes}
    session.save()


def shown(response) -> str:
    return response.content.decode()


def counts():
    return Session.objects.count(), Notification.objects.count(), BookingAnswer.objects.count()


# --- One slot rule -------------------------------------------------------------------------------

def _notice(world):
    world.home.practice.booking_min_notice_hours = 72  # TEN is 50 hours ahead
    world.home.practice.save()


def _buffer_before(world):
    world.home.practice.booking_buffer_before_minutes = 30  # 10:00–10:50 ends within 10:30–11:00
    world.home.practice.save()
    SessionFactory(cast=world.home, start=TEN + timedelta(hours=1))


def _buffer_after(world):
    world.home.practice.booking_buffer_after_minutes = 30  # 10:00 starts within 09:50–10:20
    world.home.practice.save()
    SessionFactory(cast=world.home, start=TEN - timedelta(hours=1))


def _closure(world):
    Closure.objects.create(practice=world.home.practice, title="Snow day", start_date=DAY, end_date=DAY)


def _day_off(world):
    DayOff.objects.create(practice=world.home.practice, practitioner=world.home.practitioner, first_day=DAY, last_day=DAY)


def _taken(world):
    SessionFactory(cast=world.home, start=TEN, clients=["Morgan Quill"])


# name: (what makes the start unlisted, the start, the answer book() gives, a neighbour that stays listed)
UNLISTED = {
    "off-grid minute": (None, TEN + timedelta(minutes=10), SLOT_NOT_OFFERED, TEN),
    "inside the minimum notice": (_notice, TEN, SLOT_NOT_OFFERED, TEN + timedelta(days=1)),
    "inside the buffer before a session": (_buffer_before, TEN, SLOT_TAKEN, TEN - timedelta(minutes=30)),
    "inside the buffer after a session": (_buffer_after, TEN, SLOT_TAKEN, TEN + timedelta(minutes=30)),
    "on a closure day": (_closure, TEN, SLOT_NOT_OFFERED, TEN + timedelta(days=1)),
    "on a day off": (_day_off, TEN, SLOT_NOT_OFFERED, TEN + timedelta(days=1)),
    "beyond the horizon": (None, datetime(2030, 3, 8, 10, 0, tzinfo=NY), SLOT_NOT_OFFERED, datetime(2030, 3, 7, 10, 0, tzinfo=NY)),
    "in the past": (None, datetime(2030, 1, 6, 10, 0, tzinfo=NY), SLOT_NOT_OFFERED, TEN),
    "on the grid but taken": (_taken, TEN, SLOT_TAKEN, TEN + timedelta(hours=1)),
}


@pytest.mark.parametrize("case", UNLISTED)
def test_a_start_that_is_not_listed_is_refused_by_book_and_by_the_steps(world, service, as_client, case):
    make_unlisted, start, answer, neighbour = UNLISTED[case]
    if make_unlisted:
        make_unlisted(world)
    page = day_page(as_client, service, world.home.practitioner, start.astimezone(NY).date())
    assert start_param(start) not in listed_starts(page)
    walk_to_review(as_client, service, world.home.practitioner, neighbour)  # the neighbour is listed and gets a draft
    before = counts()

    with pytest.raises(DomainError) as refused:
        booking.book(membership=membership(world), data=booking_data(world, service, start))
    assert refused.value.message == answer

    form = as_client.get(details_url(service, world.home.practitioner), {"start": start_param(start), "tz": "America/New_York"})
    assert form.status_code == 302 and form.url.startswith(time_url(service, world.home.practitioner))
    slots = shown(as_client.get(form.url))
    assert SLOT_TAKEN in slots or SLOT_NOT_OFFERED in slots  # which of the two: see the form-step wording test below

    tamper_draft(as_client, start=start_param(start))  # a stale review page, or an edited one
    response = confirm_and_book(as_client)
    assert response.status_code == 302 and response.url.startswith(time_url(service, world.home.practitioner))
    assert answer in shown(as_client.get(response.url))
    assert counts() == before and before[1:] == (0, 0), NOTHING_WRITTEN


@pytest.mark.parametrize("case", ["off-grid minute", "on a closure day", "inside the minimum notice"])
def test_the_booking_form_step_says_a_time_never_offered_is_not_open_rather_than_just_taken(world, service, as_client, case):
    make_unlisted, start, answer, _neighbour = UNLISTED[case]
    if make_unlisted:
        make_unlisted(world)
    response = as_client.get(details_url(service, world.home.practitioner), {"start": start_param(start)}, follow=True)
    assert SLOT_NOT_OFFERED in shown(response) and SLOT_TAKEN not in shown(response)


def test_a_listed_start_is_booked_by_book_itself(world, service):
    session = booking.book(membership=membership(world), data=booking_data(world, service, TEN))
    assert session.start == TEN and session.is_requested


def test_a_request_blocks_its_slot_for_a_host_too(world, service, login):
    request = booking.book(membership=membership(world), data=booking_data(world, service, TEN))
    data = scheduling.SessionData(
        practitioner=world.home.practitioner, start=TEN + timedelta(minutes=20), duration_minutes=50,
        time_zone="America/New_York", services=[(world.home.service, world.home.service.price)],
        participants=[scheduling.ParticipantData(name="Jamie Rivera", invite_method=InviteMethod.NONE, time_zone="America/New_York")],
    )
    with pytest.raises(Conflict) as refused:
        scheduling.schedule_session(practice=world.home.practice, actor=world.home.staff, data=data)
    assert refused.value.message == "The practitioner already has a session at that time."

    staff = login(world.home.staff)
    form = staff.post(reverse("sessions_app:session_new"), session_post(
        practitioner=world.home.practitioner, day=DAY.isoformat(), time="10:00",
        participants=[{"name": "Jamie Rivera", "invite_method": "none"}]))
    assert form.status_code == 200 and "The practitioner already has a session at that time." in shown(form)
    assert list(Session.objects.values_list("pk", flat=True)) == [request.pk]
    booking.confirm_request(practice=world.home.practice, actor=world.home.practitioner, session=request)  # still its own


# --- Concurrency on real PostgreSQL --------------------------------------------------------------

def _fire(posts):
    """Run the callables at once (a barrier), each in its own thread and database connection."""
    barrier = threading.Barrier(len(posts))
    results = [None] * len(posts)

    def run(index):
        try:
            barrier.wait()
            results[index] = posts[index]()
        except Exception as error:  # kept to fail the test in the main thread
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_clients_confirming_one_slot_at_once_book_it_once(world):
    service = make_bookable(world.home)
    browsers = [new_client(world, f"Client Number{index}") for index in range(THREADS)]
    for browser in browsers:
        walk_to_review(browser, service, world.home.practitioner, TEN)

    results = _fire([lambda browser=browser: confirm_and_book(browser) for browser in browsers])

    assert not [r for r in results if isinstance(r, Exception) or r is None], results
    assert all(r.status_code == 302 for r in results), [r.status_code for r in results]
    booked = [r for r in results if r.url.startswith("/my/bookings/")]
    assert len(booked) == 1
    assert Session.objects.filter(start=TEN).count() == 1 == Session.objects.count()
    assert Session.objects.get().participants.count() == 1
    slots_url = time_url(service, world.home.practitioner) + f"?tz=America/New_York&day={DAY.isoformat()}"
    for browser, result in zip(browsers, results, strict=True):
        if result in booked:
            continue
        assert result.url == slots_url
        page = browser.get(result.url)
        assert TAKEN_MESSAGE in shown(page)
        assert start_param(TEN) not in listed_starts(page) and start_param(TEN + timedelta(hours=1)) in listed_starts(page)


@pytest.mark.django_db(transaction=True)
def test_a_host_scheduling_from_the_dashboard_racing_a_client_booking_leaves_one_session(world):
    service = make_bookable(world.home)
    for round_number in range(4):
        start = TEN + timedelta(days=round_number)
        browser = new_client(world, f"Racing Client{round_number}")
        walk_to_review(browser, service, world.home.practitioner, start)
        host = Client()
        host.force_login(world.home.staff)
        form = session_post(practitioner=world.home.practitioner, day=start.date().isoformat(), time="10:00",
                            participants=[{"name": f"Walk In{round_number}", "invite_method": "none"}])
        posts = [lambda host=host, form=form: host.post(reverse("sessions_app:session_new"), form),
                 lambda browser=browser: confirm_and_book(browser)]
        if round_number % 2:
            posts.reverse()
        results = _fire(posts)
        if round_number % 2:
            results.reverse()
        host_answer, client_answer = results

        assert not isinstance(host_answer, Exception) and not isinstance(client_answer, Exception), results
        assert Session.objects.filter(start=start).count() == 1
        if host_answer.status_code == 302:
            assert client_answer.status_code == 302 and "/details/" not in client_answer.url
            assert TAKEN_MESSAGE in shown(browser.get(client_answer.url))
        else:
            assert host_answer.status_code == 200
            assert "The practitioner already has a session at that time." in shown(host_answer)
            assert client_answer.status_code == 302 and client_answer.url.startswith("/my/bookings/")
    assert Session.objects.count() == 4  # which side wins a round is the database's call; each round leaves one session


# --- Who sees what -------------------------------------------------------------------------------

def test_the_service_list_shows_only_active_bookable_services_someone_offers(world, service, as_client):
    practitioner = world.home.practitioner
    ServiceFactory(practice=world.home.practice, name="Nobody offers it", bookable_online=True)
    ServiceFactory(practice=world.home.practice, name="Not online", bookable_online=False).practitioners.add(practitioner)
    ServiceFactory(practice=world.home.practice, name="Retired", bookable_online=True, is_active=False).practitioners.add(practitioner)
    ServiceFactory(practice=world.home.practice, name="Staff only", bookable_online=True).practitioners.add(world.home.staff)
    other = ServiceFactory(practice=world.outsider.practice, name="Elsewhere", bookable_online=True)
    other.practitioners.add(world.outsider.practitioner)

    page = shown(as_client.get(reverse("portal:book")))
    assert service.name in page and reverse("portal:book_method", args=[service.pk]) in page
    for name in ("Nobody offers it", "Not online", "Retired", "Staff only", "Elsewhere"):
        assert name not in page
    assert [s.name for s in booking.bookable_services(world.home.practice)] == [service.name]


def test_a_client_never_sees_another_clients_name_or_session(world, service, as_client):
    other = new_client(world, "Morgan Quill")
    theirs = SessionFactory(cast=world.home, start=TEN + timedelta(hours=2), public_note="Bring the forms, Morgan",
                            private_note="Quill family history", clients=[{"name": "Morgan Quill", "client": other.user}])
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    confirm_and_book(as_client)
    mine = Session.objects.exclude(pk=theirs.pk).get()

    pages = [
        as_client.get(reverse("portal:home")),
        day_page(as_client, service, world.home.practitioner),
        as_client.get(reverse("portal:booking", args=[mine.pk])),
        as_client.get(reverse("portal:booking_reschedule", args=[mine.pk]), {"day": DAY.isoformat()}),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "Morgan" not in shown(page) and "Quill" not in shown(page)
    assert start_param(theirs.start) not in listed_starts(pages[1])  # their time is simply not offered
    for name in ("booking", "booking_cancel", "booking_reschedule", "booking_reschedule_confirm"):
        assert as_client.get(reverse(f"portal:{name}", args=[theirs.pk]), {"start": start_param(TEN)}).status_code == 404
    assert as_client.post(reverse("portal:booking_cancel", args=[theirs.pk])).status_code == 404
    assert as_client.post(reverse("portal:booking_reschedule_confirm", args=[theirs.pk]),
                          {"start": start_param(TEN + timedelta(days=1))}).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.start) == (SessionStatus.SCHEDULED, TEN + timedelta(hours=2))


def test_another_practices_ids_in_the_steps_book_nothing(world, service, as_client):
    elsewhere = make_bookable(world.outsider)
    home_service, home_practitioner = service, world.home.practitioner
    urls = [
        reverse("portal:book_method", args=[elsewhere.pk]),
        reverse("portal:book_practitioner", args=[elsewhere.pk, "video"]),
        time_url(elsewhere, world.outsider.practitioner),
        time_url(home_service, world.outsider.practitioner),
        time_url(home_service, world.home.staff),
        details_url(home_service, world.outsider.practitioner) + f"?start={start_param(TEN)}",
        details_url(elsewhere, home_practitioner) + f"?start={start_param(TEN)}",
    ]
    for url in urls:
        response = as_client.get(url, follow=True)
        assert response.redirect_chain and response.redirect_chain[-1][0] == reverse("portal:book"), url
        assert ("cannot be booked online" in shown(response) or "does not offer this service online" in shown(response)), url

    for tampered in ({"service": elsewhere.pk}, {"practitioner": world.outsider.practitioner.pk}):
        walk_to_review(as_client, home_service, home_practitioner, TEN)
        tamper_draft(as_client, **tampered)
        response = confirm_and_book(as_client)
        assert response.status_code == 302 and response.url == reverse("portal:book")
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("role", ["admin", "staff", "practitioner"])
def test_team_members_get_403_on_the_portal_pages(world, service, login, role):
    own = SessionFactory(cast=world.home, clients=[{"client": world.home.client}])
    member = login(world.home.member(role))
    for url in [reverse("portal:home"), reverse("portal:book"), reverse("portal:book_method", args=[service.pk]),
                time_url(service, world.home.practitioner), reverse("portal:book_review"),
                reverse("portal:booking", args=[own.pk]), reverse("portal:booking_reschedule", args=[own.pk])]:
        assert member.get(url).status_code == 403, url
    assert member.post(reverse("portal:booking_cancel", args=[own.pk])).status_code == 403
    assert member.post(reverse("portal:book_review")).status_code == 403
    assert Session.objects.get().status == SessionStatus.SCHEDULED


def test_who_may_confirm_a_request(world, service, as_client, login):
    second = UserFactory(first_name="Avery", last_name="Stone")
    MembershipFactory(user=second, practice=world.home.practice, role=Role.PRACTITIONER)
    request = SessionFactory(cast=world.home, practitioner=second, booking_state=BookingState.REQUESTED,
                             clients=[{"client": world.home.client, "email": world.home.client.email}])
    confirm = reverse("sessions_app:request_confirm", args=[request.pk])
    decline = reverse("sessions_app:request_decline", args=[request.pk])

    assert as_client.post(confirm).status_code == 403 and as_client.post(decline).status_code == 403
    practitioner = login(world.home.practitioner)
    assert practitioner.post(confirm).status_code == 404 and practitioner.post(decline).status_code == 404
    outsider = login(world.outsider.admin)
    assert outsider.post(confirm).status_code == 404
    request.refresh_from_db()
    assert request.is_requested and not Notification.objects.exists()

    admin = login(world.home.admin)
    assert admin.post(confirm).status_code == 302
    request.refresh_from_db()
    assert request.booking_state == BookingState.CONFIRMED


# --- Bad input -----------------------------------------------------------------------------------

def test_a_garbage_or_unlisted_start_is_refused_with_a_message(world, service, as_client):
    url = details_url(service, world.home.practitioner)
    for start in ["garbage", "20300109T1500", "99999999T9999Z", "", "20300230T1500Z", "20300109T1507Z"]:
        response = as_client.get(url, {"start": start}, follow=True)
        assert response.status_code == 200 and response.redirect_chain, start
        if start != "20300109T1507Z":  # not a time at all
            assert SLOT_NOT_OFFERED in shown(response), start
        else:  # a time, of a minute never offered (the wording: see the form-step wording test above)
            assert SLOT_NOT_OFFERED in shown(response) or SLOT_TAKEN in shown(response), start
        response = as_client.post(url, {"start": start}, follow=True)
        assert response.status_code == 200 and response.redirect_chain, start
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    tamper_draft(as_client, start="garbage")
    response = as_client.post(reverse("portal:book_review"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:book") and "Start by choosing a service." in shown(response)
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize("start, tz", [("99991231T2359Z", "Asia/Tokyo"), ("00010101T0000Z", "America/New_York")])
def test_a_start_at_the_ends_of_the_calendar_is_refused_never_a_500(world, service, start, tz):
    browser = Client(raise_request_exception=False)
    browser.force_login(world.home.client)
    own = SessionFactory(cast=world.home, start=TEN, clients=[{"client": world.home.client}])
    answers = [
        browser.get(details_url(service, world.home.practitioner), {"start": start, "tz": tz}),
        browser.get(reverse("portal:booking_reschedule_confirm", args=[own.pk]), {"start": start, "tz": tz}),
        browser.post(reverse("portal:booking_reschedule_confirm", args=[own.pk]), {"start": start, "tz": tz}),
    ]
    assert [a.status_code < 500 for a in answers] == [True, True, True]
    assert answers[0].status_code == answers[2].status_code == 302  # back to the slots, with the message
    own.refresh_from_db()
    assert own.start == TEN and counts() == (1, 0, 0)


def test_a_service_not_bookable_online_is_refused(world, service, as_client):
    offline = ServiceFactory(practice=world.home.practice, name="Couples intake", bookable_online=False)
    offline.practitioners.add(world.home.practitioner)
    for url in [reverse("portal:book_method", args=[offline.pk]), time_url(offline, world.home.practitioner),
                details_url(offline, world.home.practitioner) + f"?start={start_param(TEN)}"]:
        response = as_client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == reverse("portal:book")
        assert "That service cannot be booked online. Choose one of the services listed." in shown(response)
    with pytest.raises(DomainError, match="cannot be booked online"):
        booking.book(membership=membership(world), data=booking_data(world, offline, TEN))
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    tamper_draft(as_client, service=offline.pk)
    assert confirm_and_book(as_client).url == reverse("portal:book")
    assert counts() == (0, 0, 0)


def test_a_delivery_method_the_service_lacks_is_refused(world, service, as_client):
    page = shown(as_client.get(reverse("portal:book_method", args=[service.pk])))
    assert "Secure video" in page and "In person" in page and "Phone" not in page
    for method in ["phone", "fax"]:
        for url in [reverse("portal:book_practitioner", args=[service.pk, method]), time_url(service, world.home.practitioner, method),
                    details_url(service, world.home.practitioner, method) + f"?start={start_param(TEN)}"]:
            response = as_client.get(url, follow=True)
            assert response.redirect_chain[-1][0] == reverse("portal:book"), url
            assert "That delivery method is not offered for this service." in shown(response)
    with pytest.raises(DomainError, match="delivery method is not offered"):
        booking.book(membership=membership(world), data=booking_data(world, service, TEN, method="phone"))
    walk_to_review(as_client, service, world.home.practitioner, TEN)
    tamper_draft(as_client, method="phone")
    assert confirm_and_book(as_client).url == reverse("portal:book")
    assert counts() == (0, 0, 0)


def test_a_past_date_offers_nothing_in_the_past(world, service, as_client):
    for query in [{"day": "2029-12-03", "month": "2029-12"}, {"day": "2030-01-06"}, {"month": "1999-01"}, {"day": "0001-01-01"},
                  {"day": "not-a-day", "month": "2030-13"}]:
        page = as_client.get(time_url(service, world.home.practitioner), {"tz": "America/New_York", **query})
        assert page.status_code == 200, query
        assert min(listed_starts(page)) >= start_param(NOW), query
    past = datetime(2030, 1, 6, 10, 0, tzinfo=NY)
    response = as_client.get(details_url(service, world.home.practitioner), {"start": start_param(past)}, follow=True)
    assert response.redirect_chain and "Booking Page Form" not in shown(response)
    assert counts() == (0, 0, 0)


@pytest.fixture
def questions(service):
    return {
        "short": BookingQuestion.objects.create(service=service, label="What brings you in?", kind=QuestionKind.SHORT_TEXT),
        "long": BookingQuestion.objects.create(service=service, label="Anything else?", kind=QuestionKind.LONG_TEXT, position=1),
        "choice": BookingQuestion.objects.create(service=service, label="How did you hear of us?", kind=QuestionKind.CHOICE,
                                                 choices="A friend\nMy doctor", position=2),
        "yes_no": BookingQuestion.objects.create(service=service, label="First visit?", kind=QuestionKind.YES_NO, position=3),
        "required": BookingQuestion.objects.create(service=service, label="Date of birth", required=True, position=4),
    }


GOOD = {"short": "Sleep", "long": "Some words", "choice": "My doctor", "yes_no": "No", "required": "1990-04-01"}
BAD_ANSWERS = {
    "a short answer of 201 characters": ("short", "x" * 201, ["Please keep the answer under 200 characters (it has 201)."]),
    "a long answer of 2001 characters": ("long", "y" * 2001, ["Please keep the answer under 2000 characters (it has 2001)."]),
    "a missing required answer": ("required", "   ", ["Please answer this question."]),
    "a choice not among the options": ("choice", "A billboard", ["Choose one of the options.", "Select a valid choice."]),
    "a yes/no answer that is neither": ("yes_no", "Maybe", ["Answer yes or no.", "Select a valid choice."]),
}


def _form(questions, **override):
    return {f"q{questions[key].pk}": override.get(key, value) for key, value in GOOD.items()}


@pytest.mark.parametrize("case", BAD_ANSWERS)
def test_a_bad_answer_is_a_form_error_and_nothing_is_written(world, service, questions, as_client, case):
    key, value, messages = BAD_ANSWERS[case]
    url = details_url(service, world.home.practitioner)
    response = as_client.post(url, {"start": start_param(TEN), "tz": "America/New_York", **_form(questions, **{key: value})})
    assert response.status_code == 200
    assert any(message in shown(response) for message in messages) and "is-invalid" in shown(response)
    assert as_client.get(reverse("portal:book_review")).url == reverse("portal:book")  # no draft to confirm

    # The same answer slipped into the draft is refused by book() itself.
    walk_to_review(as_client, service, world.home.practitioner, TEN, answers=_form(questions))
    tamper_draft(as_client, answers={str(questions[k].pk): v for k, v in {**GOOD, key: value}.items()})
    response = confirm_and_book(as_client)
    assert response.status_code == 302 and "/details/" not in response.url
    assert counts() == (0, 0, 0)
    with pytest.raises(DomainError):
        booking.book(membership=membership(world), data=booking_data(
            world, service, TEN, answers={questions[k].pk: v for k, v in {**GOOD, key: value}.items()}))
    assert counts() == (0, 0, 0)


def test_answers_at_the_limits_are_accepted(world, service, questions, as_client):
    walk_to_review(as_client, service, world.home.practitioner, TEN,
                   answers=_form(questions, short="x" * 200, long="y" * 2000, required="z"))
    assert confirm_and_book(as_client).status_code == 302
    assert sorted(len(a) for a in BookingAnswer.objects.values_list("answer", flat=True)) == [1, 2, 9, 200, 2000]


def test_an_unknown_time_zone_is_a_message_and_the_clients_own_zone_is_used(world, service, as_client):
    world.home.client.time_zone = "Europe/London"
    world.home.client.save()
    page = as_client.get(time_url(service, world.home.practitioner), {"tz": "Mars/Olympus_Mons", "day": DAY.isoformat()})
    assert page.status_code == 200
    assert "is not a time zone we know" in shown(page)
    assert 'value="Europe/London"' in shown(page)
    assert slot_labels(page)[0] == "2:00 PM"
    form = as_client.get(details_url(service, world.home.practitioner), {"start": start_param(TEN), "tz": "Mars/Olympus_Mons"})
    assert form.status_code == 302 and form.url == reverse("portal:book_review")  # no questions: straight to review
    assert "3:00 PM–3:50 PM GMT" in shown(as_client.get(form.url))
    assert counts() == (0, 0, 0)


# --- Time ----------------------------------------------------------------------------------------

def test_slots_are_shown_in_the_clients_zone_and_retimed_when_it_changes(world, service, as_client):
    london = day_page(as_client, service, world.home.practitioner, tz="Europe/London")
    assert slot_labels(london)[0] == "2:00 PM" and slot_labels(london)[-1] == "9:00 PM"
    assert "Europe/London" in shown(london) and "(GMT)" in shown(london)
    new_york = day_page(as_client, service, world.home.practitioner, tz="America/New_York")
    assert slot_labels(new_york)[0] == "9:00 AM"
    los_angeles = day_page(as_client, service, world.home.practitioner, tz="America/Los_Angeles")
    assert slot_labels(los_angeles)[0] == "6:00 AM"
    assert listed_starts(london) == listed_starts(new_york) == listed_starts(los_angeles)  # the same instants
    assert listed_starts(london)[0] == start_param(datetime(2030, 1, 9, 9, 0, tzinfo=NY))

    walk_to_review(as_client, service, world.home.practitioner, TEN, tz="Europe/London")
    review = shown(as_client.get(reverse("portal:book_review")))
    assert "3:00 PM–3:50 PM GMT" in review
    confirm_and_book(as_client)
    assert Session.objects.get().participants.get().time_zone == "Europe/London"


# --- Query counts --------------------------------------------------------------------------------

def _queries(browser, url, params=None):
    with CaptureQueriesContext(connection) as context:
        assert browser.get(url, params or {}).status_code == 200
    return len(context)


def test_the_slot_page_uses_a_bounded_number_of_queries(world, service, as_client, django_assert_max_num_queries):
    url = time_url(service, world.home.practitioner)
    params = {"tz": "America/New_York", "day": DAY.isoformat()}
    SessionFactory(cast=world.home, start=TEN, clients=2)
    one = _queries(as_client, url, params)
    for index in range(29):
        SessionFactory(cast=world.home, start=datetime(2030, 1, 10 + index % 20, 9 + index // 20 * 3, 0, tzinfo=NY), clients=2,
                       services=[service])
    with django_assert_max_num_queries(one):
        page = as_client.get(url, params)
    assert len(listed_starts(page)) > 0
    assert one <= 15


def test_the_portal_home_uses_a_bounded_number_of_queries(world, service, as_client, django_assert_max_num_queries):
    mine = {"client": world.home.client, "name": "Riley Park"}
    SessionFactory(cast=world.home, start=TEN, clients=[mine], services=[service])  # one upcoming
    SessionFactory(cast=world.home, past=True, clients=[mine], services=[service])  # and one past
    one = _queries(as_client, reverse("portal:home"))
    for index in range(29):
        for day in (date(2030, 1, 10) + timedelta(days=index), date(2029, 12, 1) + timedelta(days=index)):
            SessionFactory(cast=world.home, day=day, clients=[mine, {"name": "Group Member"}], services=[service],
                           booking_state=BookingState.REQUESTED if index % 3 else BookingState.CONFIRMED)
    Closure.objects.create(practice=world.home.practice, title="Holiday", start_date=date(2030, 1, 20), end_date=date(2030, 1, 21))
    with django_assert_max_num_queries(one):
        home = as_client.get(reverse("portal:home"))
    assert len(re.findall(r'href="/my/bookings/\d+/"', shown(home))) >= 50
    assert "The practice is closed that day: Holiday." in shown(home)
    assert one <= 20
