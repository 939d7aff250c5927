"""The cancellation policy (issue 14): the notice in absolute hours (exactly at the cut-off, one
second either side, across daylight-saving changes), "Contact your practitioner to cancel" and
Late Cancel in the portal (the charge on the client's balance and invoice, a package credit kept
or returned), reschedules that follow the notice or not, team members who cancel anything, and the
settings page (admins only, plain errors, nothing written on a refusal).

The clock stands on Tuesday 8 January 2030, 08:00 in New York, unless a test travels elsewhere;
the client's booking is Wednesday 9 January 10:00, so 24 hours' notice ends Tuesday 10:00.
"""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from billing.models import ClientPackage, LedgerEntry, PackageProduct, PackageRedemption
from notifications.models import Notification, NotificationKind
from practice.errors import DomainError
from practice.models import Practice
from practice.tests.factories import SessionFactory
from sessions_app import booking, completion, policy
from sessions_app.models import (
    CancellationPolicy,
    CompletionType,
    LateCancelAction,
    ModifierType,
    Session,
    SessionStatus,
)
from sessions_app.tests.portal_helpers import make_bookable
from sessions_app.tests.test_portal_booking import confirm_and_book, start_param, walk_to_review

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
NOW = datetime(2030, 1, 8, 8, 0, tzinfo=NY)
TEN = datetime(2030, 1, 9, 10, 0, tzinfo=NY)
CUTOFF = datetime(2030, 1, 8, 10, 0, tzinfo=NY)
SECOND = timedelta(seconds=1)
CONTACT = "Contact your practitioner to cancel"


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


def late_type(practice, **fields):
    return CompletionType.objects.create(**{
        "practice": practice, "map_status": SessionStatus.CANCELED, "label": "Late Cancel", "client_modifier": 50,
        "practitioner_modifier": 50, "modifier_type": ModifierType.PERCENT, **fields})


def set_policy(practice, inside=LateCancelAction.CONTACT, kind=None, *, follows=True, hours=24, note=""):
    return policy.save_settings(practice=practice, notice_hours=hours, inside=inside, kind=kind, reschedule_follows=follows,
                                note=note)


def late_policy(world, **fields):
    kind = late_type(world.home.practice, **fields)
    set_policy(world.home.practice, LateCancelAction.LATE_CANCEL, kind)
    return kind


def booked(world, service, start=TEN, *, price=None):
    """The client's confirmed one-to-one session (made by the team or booked: the same rules)."""
    client = world.home.client
    return SessionFactory(cast=world.home, start=start, end=start + timedelta(minutes=50),
                          services=[(service, price) if price is not None else service],
                          clients=[{"name": "Riley Park", "client": client, "email": client.email}])


def on_package(world, service, session):
    """A package of 5 sessions for the client, one of them used by ``session``."""
    practice = world.home.practice
    product = PackageProduct.objects.create(practice=practice, name="Five sessions", session_count=5, price=Decimal("500.00"),
                                            validity_days=90)
    product.services.add(service)
    package = ClientPackage.objects.create(practice=practice, product=product, client=world.home.client, name=product.name,
                                           session_count=5, price=product.price, starts_at=NOW - timedelta(days=1),
                                           expires_at=NOW + timedelta(days=89))
    package.services.add(service)
    PackageRedemption.objects.create(client_package=package, session=session, participant=session.participants.get())
    return package


def live_credits(session):
    return PackageRedemption.objects.filter(session=session, voided_at__isnull=True).count()


def cancel_url(session):
    return reverse("portal:booking_cancel", args=[session.pk])


def text(response):
    return response.content.decode()


# --- The window, in absolute hours ---------------------------------------------------------------

@pytest.mark.parametrize("moment, inside", [
    (CUTOFF - SECOND, False), (CUTOFF, False), (CUTOFF + SECOND, True), (TEN - SECOND, True)])
def test_the_window_starts_exactly_notice_hours_before_the_session(world, service, moment, inside):
    session = booked(world, service)
    assert policy.cutoff(world.home.practice, session) == CUTOFF
    assert policy.inside_window(world.home.practice, session, moment) is inside
    assert policy.may_cancel(world.home.practice, session, moment) is not inside  # contact your practitioner


def test_a_cancel_at_exactly_the_cut_off_goes_through_and_one_second_later_is_refused(world, service, as_client):
    on_time, late = booked(world, service), booked(world, service, TEN + timedelta(hours=2))
    with time_machine.travel(CUTOFF, tick=False):
        as_client.post(cancel_url(on_time))
    with time_machine.travel(CUTOFF + timedelta(hours=2, seconds=1), tick=False):
        response = as_client.post(cancel_url(late), follow=True)
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert on_time.status == SessionStatus.CANCELED
    assert late.status == SessionStatus.SCHEDULED and CONTACT in text(response)


@pytest.mark.parametrize("start, hours, cut_off", [
    # The clocks go back on Sunday 1 November 2026 at 02:00: 24 hours before Sunday 10:00 EST is
    # Saturday 11:00 EDT on the wall, not 10:00.
    (datetime(2026, 11, 1, 10, 0, tzinfo=NY), 24, datetime(2026, 10, 31, 11, 0, tzinfo=NY)),
    # Monday 2 November 10:00 with 48 hours' notice: Saturday 11:00 EDT as well.
    (datetime(2026, 11, 2, 10, 0, tzinfo=NY), 48, datetime(2026, 10, 31, 11, 0, tzinfo=NY)),
    # (With 24 hours, the Monday's window (from Sunday 10:00 EST) holds no change: its cut-off is 10:00.)
    (datetime(2026, 11, 2, 10, 0, tzinfo=NY), 24, datetime(2026, 11, 1, 10, 0, tzinfo=NY)),
    # The clocks go forward on Sunday 8 March 2026: 24 hours before Sunday 10:00 EDT is Saturday 09:00 EST.
    (datetime(2026, 3, 8, 10, 0, tzinfo=NY), 24, datetime(2026, 3, 7, 9, 0, tzinfo=NY)),
])
def test_a_daylight_saving_change_inside_the_window_does_not_move_it(world, service, as_client, start, hours, cut_off):
    practice = world.home.practice
    set_policy(practice, hours=hours)
    assert (start.astimezone(UTC) - cut_off.astimezone(UTC)).total_seconds() == hours * 3600
    sessions = [booked(world, service, start + timedelta(minutes=offset)) for offset in (0, 60, 120)]
    # cut-off - 1 s and the cut-off itself are outside (cancel goes through), + 1 s inside (refused).
    for session, moment in zip(sessions, (cut_off - SECOND, cut_off, cut_off + SECOND), strict=True):
        shift = session.start - start
        with time_machine.travel(moment + shift, tick=False):
            assert policy.cutoff(practice, session) == cut_off + shift
            detail = text(as_client.get(reverse("portal:booking", args=[session.pk])))
            as_client.post(cancel_url(session))
        session.refresh_from_db()
        outside = moment <= cut_off
        assert (session.status == SessionStatus.CANCELED) is outside
        assert (cancel_url(session) in detail) is outside and (CONTACT in detail) is not outside


# --- Contact your practitioner to cancel ---------------------------------------------------------

def test_contact_your_practitioner_refuses_the_cancel_in_plain_words_and_changes_nothing(world, service, as_client):
    session = booked(world, service)
    with time_machine.travel(CUTOFF + SECOND, tick=False):
        messages_before, lines_before = Notification.objects.count(), LedgerEntry.objects.count()
        response = as_client.post(cancel_url(session), follow=True)
        with pytest.raises(DomainError) as refused:
            booking.cancel_booking(membership=world.home.client.memberships.get(), session=session)
    assert ("Contact your practitioner to cancel: this session starts in less than 24 hours, so it can no longer be "
            "canceled here.") in text(response)
    assert refused.value.code == "policy_window"
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED and not session.completion_label
    assert (Notification.objects.count(), LedgerEntry.objects.count()) == (messages_before, lines_before)


def test_contact_your_practitioner_replaces_the_cancel_and_reschedule_buttons(world, service, as_client):
    session = booked(world, service)
    pages = {"home": reverse("portal:home"), "detail": reverse("portal:booking", args=[session.pk]), "cancel": cancel_url(session)}
    before = {name: text(as_client.get(url)) for name, url in pages.items()}
    with time_machine.travel(CUTOFF + SECOND, tick=False):
        inside = {name: text(as_client.get(url)) for name, url in pages.items()}

    reschedule = reverse("portal:booking_reschedule", args=[session.pk])
    for name in ("home", "detail"):
        assert f'href="{cancel_url(session)}"' in before[name] and f'href="{reschedule}"' in before[name]
        assert f'href="{cancel_url(session)}"' not in inside[name] and f'href="{reschedule}"' not in inside[name]
        assert CONTACT in inside[name] and CONTACT not in before[name].split("data-policy-text")[0]
    assert "Cancel the session" in before["cancel"]
    assert "Cancel the session" not in inside["cancel"] and CONTACT in inside["cancel"]
    # The policy text sits next to the Cancel button (or the sentence that replaces it).
    policy_text = ("You can cancel or reschedule here up to 24 hours before your session starts. After that, please "
                   "contact your practitioner to cancel or reschedule.")
    for page in (before["detail"], before["cancel"], inside["detail"], inside["cancel"]):
        assert policy_text in page


def test_a_request_not_confirmed_yet_can_be_withdrawn_inside_the_window(world, service, as_client):
    session = booked(world, service)
    Session.objects.filter(pk=session.pk).update(booking_state="requested")
    package = on_package(world, service, session)
    with time_machine.travel(CUTOFF + SECOND, tick=False):
        as_client.post(cancel_url(session))
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELED and not session.completion_label
    assert live_credits(session) == 0 and package.redemptions.get().voided_at is not None


# --- Late Cancel ---------------------------------------------------------------------------------

def test_a_late_cancel_is_saved_with_the_policy_type_and_charged_on_the_balance_and_invoice(world, service, as_client):
    late_policy(world)
    session = booked(world, service, price=Decimal("150.00"))
    with time_machine.travel(CUTOFF + SECOND, tick=False):
        page = text(as_client.get(cancel_url(session)))
        response = as_client.post(cancel_url(session), follow=True)
    assert "This is a Late Cancel: 50% of the session fee (75.00 USD) is charged." in page
    assert "a cancel is a Late Cancel: 50% of the session fee is charged." in page
    assert "Cancel as a late cancel" in page
    assert response.status_code == 200

    session.refresh_from_db()
    participant = session.participants.get()
    assert session.status == SessionStatus.CANCELED and session.completion_label == "Late Cancel"
    assert (participant.completion_label, participant.client_amount) == ("Late Cancel", Decimal("75.00"))
    client = world.home.client
    charges = LedgerEntry.objects.filter(client=client, kind="charge")
    assert [(line.amount, line.label.split(" · ")[-1]) for line in charges] == [(Decimal("75.00"), "Late Cancel")]
    balance = text(as_client.get(reverse("billing:my_balance")))
    assert "Late Cancel" in balance and "75.00" in balance
    invoice = text(as_client.get(reverse("billing:invoice", args=["u", client.pk])))
    assert "Late Cancel" in invoice and "75.00" in invoice

    # The practitioner is told by e-mail; the client gets the cancel notice with what it costs.
    to_host = Notification.objects.get(to_address=world.home.practitioner.email)
    assert to_host.recipient_user == world.home.practitioner and to_host.subject.startswith("Late Cancel: Riley Park")
    assert "saved as Late Cancel: 75.00 USD is charged to the client" in to_host.body_text
    to_client = Notification.objects.get(to_address=client.email, kind=NotificationKind.CANCEL)
    assert "It counts as a Late Cancel: 75.00 USD is charged to your account." in to_client.body_text


def test_a_late_cancel_keeps_the_package_credit_and_a_cancel_in_time_returns_it(world, service, as_client):
    late_policy(world)
    late, in_time = booked(world, service, price=Decimal("0")), booked(world, service, TEN + timedelta(days=2), price=Decimal("0"))
    package = on_package(world, service, late)
    PackageRedemption.objects.create(client_package=package, session=in_time, participant=in_time.participants.get())
    with time_machine.travel(CUTOFF + SECOND, tick=False):
        late_page = text(as_client.get(cancel_url(late)))
        in_time_page = text(as_client.get(cancel_url(in_time)))
        as_client.post(cancel_url(late))
        as_client.post(cancel_url(in_time))
    assert "This is a Late Cancel: the session stays used from your package." in late_page
    assert "This is a Late Cancel" not in in_time_page and "Cancel the session" in in_time_page

    late.refresh_from_db()
    in_time.refresh_from_db()
    assert (late.status, late.completion_label, live_credits(late)) == (SessionStatus.CANCELED, "Late Cancel", 1)
    assert (in_time.status, in_time.completion_label, live_credits(in_time)) == (SessionStatus.CANCELED, "", 0)
    host = Notification.objects.filter(to_address=world.home.practitioner.email)
    assert "The session stays used from the client's package." in host.get(subject__startswith="Late Cancel").body_text
    assert "The session was returned to the client's package." in host.get(subject__startswith="Canceled").body_text


def test_a_late_cancel_frees_the_slot(world, service, as_client):
    late_policy(world)
    session = booked(world, service)
    with time_machine.travel(CUTOFF + SECOND, tick=False):
        as_client.post(cancel_url(session))
        page = as_client.get(reverse("portal:book_time", args=[service.pk, "video", world.home.practitioner.pk]),
                             {"tz": "America/New_York", "day": TEN.date().isoformat()})
    assert start_param(TEN) in text(page)


@pytest.mark.parametrize("spoil", ["disabled", "maps to completed", "another practice's"])
def test_a_late_cancel_type_no_longer_usable_makes_the_policy_contact_your_practitioner(world, service, as_client, spoil):
    kind = late_policy(world)
    if spoil == "disabled":
        CompletionType.objects.filter(pk=kind.pk).update(enabled=False)
    elif spoil == "maps to completed":
        CompletionType.objects.filter(pk=kind.pk).update(map_status=SessionStatus.COMPLETED)
    else:
        CompletionType.objects.filter(pk=kind.pk).update(practice=world.outsider.practice)
    session = booked(world, service)
    with time_machine.travel(CUTOFF + SECOND, tick=False):
        detail = text(as_client.get(reverse("portal:booking", args=[session.pk])))
        response = as_client.post(cancel_url(session), follow=True)
    assert CONTACT in detail and f'href="{cancel_url(session)}"' not in detail and "Late Cancel" not in detail
    assert CONTACT in text(response)
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED and not LedgerEntry.objects.exists()


def test_the_policy_text_shows_in_the_review_step_above_confirm_and_book(world, service, as_client):
    late_policy(world)
    CancellationPolicy.objects.filter(practice=world.home.practice).update(note="Your slot is kept for you alone.")
    review = text(walk_to_review(as_client, service, world.home.practitioner, TEN + timedelta(days=1)))
    policy_text = ("You can cancel or reschedule here up to 24 hours before your session starts. After that, a cancel is "
                   "a Late Cancel: 50% of the session fee is charged. Rescheduling is then no longer possible here. "
                   "Your slot is kept for you alone.")
    assert policy_text in review and review.index(policy_text) < review.index("Confirm &amp; book")
    confirm_and_book(as_client)


@pytest.mark.parametrize("setting, expected", [
    ({"hours": 0}, "You can cancel or reschedule here until your session starts."),
    ({"hours": 1, "follows": False}, "You can cancel here up to 1 hour before your session starts, and reschedule until it "
                                     "starts. After that, please contact your practitioner to cancel."),
    ({"late": {"modifier_type": ModifierType.FIXED, "client_modifier": 25}},
     "After that, a cancel is a Late Cancel: a fee of 25.00 USD is charged."),
    ({"late": {"client_modifier": 100}}, "After that, a cancel is a Late Cancel: the full session fee is charged."),
    ({"late": {"client_modifier": 0}}, "After that, a cancel is a Late Cancel: there is no charge."),
])
def test_the_policy_in_words(world, setting, expected):
    practice = world.home.practice
    if "late" in setting:
        set_policy(practice, LateCancelAction.LATE_CANCEL, late_type(practice, **setting["late"]))
    else:
        set_policy(practice, hours=setting["hours"], follows=setting.get("follows", True))
    assert expected in policy.describe(Practice.objects.get(pk=practice.pk))


# --- Reschedules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("follows", [True, False])
def test_reschedules_follow_the_window_only_when_the_policy_says_so(world, service, as_client, follows):
    set_policy(world.home.practice, follows=follows)
    session = booked(world, service)
    target = TEN + timedelta(hours=3)
    reschedule = reverse("portal:booking_reschedule", args=[session.pk])
    with time_machine.travel(CUTOFF + SECOND, tick=False):
        detail = text(as_client.get(reverse("portal:booking", args=[session.pk])))
        response = as_client.post(reverse("portal:booking_reschedule_confirm", args=[session.pk]),
                                  {"start": start_param(target), "tz": "America/New_York"}, follow=True)
    session.refresh_from_db()
    assert (f'href="{reschedule}"' in detail) is not follows
    if follows:
        assert session.start == TEN
        assert "This session starts in less than 24 hours, so it can no longer be rescheduled here." in text(response)
    else:
        assert session.start == target


def test_outside_the_window_the_client_reschedules_and_cancels_freely(world, service, as_client):
    late_policy(world)
    session = booked(world, service)
    with time_machine.travel(CUTOFF, tick=False):
        assert policy.may_reschedule(world.home.practice, session) and policy.may_cancel(world.home.practice, session)
        assert policy.late_cancel_cost(world.home.practice, session) == ""
        as_client.post(reverse("portal:booking_reschedule_confirm", args=[session.pk]),
                       {"start": start_param(TEN + timedelta(hours=3)), "tz": "America/New_York"})
    session.refresh_from_db()
    assert session.start == TEN + timedelta(hours=3)


# --- Team members are not bound ------------------------------------------------------------------

def test_team_members_cancel_or_save_any_session_inside_the_window(world, service, login):
    set_policy(world.home.practice)  # contact your practitioner
    canceled, saved = booked(world, service), booked(world, service, TEN + timedelta(hours=2))
    missed = CompletionType.objects.get(practice=world.home.practice, default_key="missed")
    with time_machine.travel(CUTOFF + SECOND, tick=False):
        practitioner = login(world.home.practitioner)  # here: a team member idle for two hours is signed out
        assert not policy.may_cancel(world.home.practice, canceled)
        assert practitioner.post(reverse("sessions_app:session_cancel", args=[canceled.pk]), {"scope": "this"}).status_code == 302
        response = practitioner.post(reverse("sessions_app:session_save", args=[saved.pk]), {"option": str(missed.pk)})
    assert response.status_code == 302
    canceled.refresh_from_db()
    saved.refresh_from_db()
    assert canceled.status == SessionStatus.CANCELED
    assert (saved.status, saved.completion_label) == (SessionStatus.MISSED, "Missed")
    # ... with any of the usual options, the policy's Late Cancel type among them.
    kind = late_type(world.home.practice)
    membership = world.home.practitioner.memberships.get()
    completion.save_session(practice=world.home.practice, actor=world.home.practitioner, membership=membership, session=saved,
                            same_for_all=completion.Outcome(kind))
    saved.refresh_from_db()
    assert saved.completion_label == "Late Cancel"


# --- Settings --------------------------------------------------------------------------------------

def good_settings(kind=None, **changes):
    data = {"cancellation_notice_hours": "48", "inside_window": LateCancelAction.LATE_CANCEL,
            "late_cancel_type": str(kind.pk) if kind else "", "reschedule_follows_window": "on", "note": "Thank you."}
    return {key: value for key, value in {**data, **changes}.items() if value is not None}


def saved_policy(practice):
    row = CancellationPolicy.objects.filter(practice=practice).first()
    hours = Practice.objects.get(pk=practice.pk).cancellation_notice_hours
    return hours, row and (row.inside_window, row.late_cancel_type_id, row.reschedule_follows_window, row.note)


def test_the_settings_page_links_to_the_policy(world, login):
    page = text(login(world.home.admin).get(reverse("practice_settings")))
    assert reverse("cancellation_policy") == "/settings/cancellation-policy/"
    assert reverse("cancellation_policy") in page and "Cancellation policy" in page and "24 hours" in page


def test_an_admin_saves_the_policy_and_the_notice_together(world, login):
    kind = late_type(world.home.practice)
    admin = login(world.home.admin)
    page = text(admin.get(reverse("cancellation_policy")))
    assert "Contact your practitioner to cancel" in page and "Late Cancel (50% of the fee)" in page
    response = admin.post(reverse("cancellation_policy"), good_settings(kind))
    assert response.status_code == 302 and response["Location"] == reverse("practice_settings")
    assert saved_policy(world.home.practice) == (48, (LateCancelAction.LATE_CANCEL, kind.pk, True, "Thank you."))
    page = text(admin.get(reverse("cancellation_policy")))
    assert "up to 48 hours before your session starts. After that, a cancel is a Late Cancel" in page
    # Saved again: the one row is updated; contact chosen, reschedules free.
    admin.post(reverse("cancellation_policy"), good_settings(inside_window=LateCancelAction.CONTACT, late_cancel_type="",
                                                             reschedule_follows_window=None, cancellation_notice_hours="0"))
    assert saved_policy(world.home.practice) == (0, (LateCancelAction.CONTACT, None, False, "Thank you."))
    assert CancellationPolicy.objects.count() == 1


@pytest.mark.parametrize("changes, field, message", [
    ({"cancellation_notice_hours": "-1"}, "cancellation_notice_hours", "Enter a whole number of hours from 0 to 720."),
    ({"cancellation_notice_hours": "721"}, "cancellation_notice_hours", "Enter a whole number of hours from 0 to 720."),
    ({"cancellation_notice_hours": "1.5"}, "cancellation_notice_hours", "Enter a whole number of hours from 0 to 720."),
    ({"cancellation_notice_hours": "99999999999999999999"}, "cancellation_notice_hours",
     "Enter a whole number of hours from 0 to 720."),
    ({"cancellation_notice_hours": ""}, "cancellation_notice_hours", "Enter a whole number of hours from 0 to 720."),
    ({"inside_window": "refund"}, "inside_window", "Choose what happens inside the notice."),
    ({"late_cancel_type": ""}, "late_cancel_type", "Choose the completion type a Late Cancel is saved with."),
    ({"late_cancel_type": "abc"}, "late_cancel_type", "Choose one of the completion types listed."),
    ({"late_cancel_type": "99999999"}, "late_cancel_type", "Choose one of the completion types listed."),
    ({"late_cancel_type": "completed"}, "late_cancel_type", "Choose one of the completion types listed."),
    ({"late_cancel_type": "disabled"}, "late_cancel_type", "Choose one of the completion types listed."),
    ({"late_cancel_type": "outsider"}, "late_cancel_type", "Choose one of the completion types listed."),
    ({"note": "x" * 1001}, "note", "Keep the policy text under 1001 characters."),
])
def test_bad_settings_get_a_plain_error_and_write_nothing(world, login, changes, field, message):
    practice = world.home.practice
    ids = {"completed": CompletionType.objects.get(practice=practice, default_key="completed").pk,
           "disabled": late_type(practice, label="Old late", enabled=False).pk,
           "outsider": late_type(world.outsider.practice).pk}
    changes = {key: str(ids.get(value, value)) for key, value in changes.items()}
    before = saved_policy(practice)
    response = login(world.home.admin).post(reverse("cancellation_policy"), good_settings(late_type(practice), **changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert saved_policy(practice) == before == (24, None)


def test_the_domain_function_refuses_what_the_form_would(world):
    practice = world.home.practice
    for kind in (late_type(world.outsider.practice), CompletionType.objects.get(practice=practice, default_key="completed")):
        with pytest.raises(DomainError, match="Choose one of the completion types listed."):
            set_policy(practice, LateCancelAction.LATE_CANCEL, kind)
    with pytest.raises(DomainError, match="Choose the completion type a Late Cancel is saved with."):
        set_policy(practice, LateCancelAction.LATE_CANCEL, None)
    with pytest.raises(DomainError, match="from 0 to 720"):
        set_policy(practice, hours=721)
    assert saved_policy(practice) == (24, None)


@pytest.mark.parametrize("role, status", [("practitioner", 403), ("staff", 403), ("client", 403), ("admin", 200)])
def test_only_admins_open_or_save_the_policy(world, login, role, status):
    browser = login(world.home.member(role))
    assert browser.get(reverse("cancellation_policy")).status_code == status
    response = browser.post(reverse("cancellation_policy"), good_settings(inside_window=LateCancelAction.CONTACT,
                                                                          cancellation_notice_hours="1"))
    assert response.status_code == (302 if role == "admin" else 403)
    assert saved_policy(world.home.practice)[0] == (1 if role == "admin" else 24)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("cancellation_policy"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_disabled_late_cancel_type_is_pointed_out_on_the_settings_page(world, login):
    kind = late_policy(world)
    CompletionType.objects.filter(pk=kind.pk).update(enabled=False)
    page = text(login(world.home.admin).get(reverse("cancellation_policy")))
    assert "data-policy-type-unusable" in page and "please contact your practitioner to cancel" in page
