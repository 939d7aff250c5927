"""No UTC time on any page (issue 11, item 6).

The clock stands at 23:30 local in a zone far from UTC (Los Angeles, UTC-8: 07:30 UTC the next
day; Auckland, UTC+13: 10:30 UTC), every user, the practice, the sessions and their participants
are in that zone, and the sessions start at known local times. Every GET page of the app is
fetched for every role and for an anonymous visitor; no page may show the UTC clock time of a
known session (or of now), and the pages that show a session show its local time.

The pages come from the URLconf: a page added later fails ``test_every_page_is_crawled`` until
it gets its arguments in ``ARGS`` (or a place in ``SKIPPED``, with the reason).
"""
import re
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.admin.sites import site as admin_site
from django.urls import URLResolver, get_resolver, reverse

from billing import payments
from billing.models import PackageProduct, Payment
from billing.tests.factories import PaymentRequestFactory
from billing.tests.test_billing_pages import pdf_text
from practice.models import BookingQuestion, WeeklyHours
from practice.questions import Question
from practice.tests.factories import PASSWORD, ParticipantFactory, SessionFactory
from sessions_app import completion, documents, ical, meetings
from sessions_app.models import Closure, CompletionType

pytestmark = pytest.mark.django_db

ZONES = ["America/Los_Angeles", "Pacific/Auckland"]
TODAY = date(2030, 1, 15)
NOW = time(23, 30)
# The sessions' local starts (50 minutes each). Chosen so that no local clock time of one
# zone reads like a UTC clock time of the same zone (checked by test_the_times_are_told_apart).
EARLIER = (TODAY, time(20, 5))                     # tonight, over and not saved yet: the open list, the Save page
TONIGHT = (TODAY, time(23, 40))                    # starts in 10 minutes, by video: its meeting is open
TOMORROW = (TODAY + timedelta(days=1), time(9, 25))  # upcoming: dashboard, lists, calendar, the client's list
SAVED = (date(2030, 1, 8), time(9, 25))            # last week, completed: ledger lines, invoice, wages
LENGTH = timedelta(minutes=50)
ROLES = ["admin", "staff", "practitioner", "client", None]  # None: nobody logged in
TEAM = {"admin", "staff", "practitioner"}
OFFICE = {"admin", "staff"}


# --- the scene ---------------------------------------------------------------------------------

@dataclass
class Scene:
    zone: str
    world: object
    sessions: dict        # name -> Session
    pay_token: str
    feed_token: str
    payment: Payment
    closure: Closure

    def local(self, day, wall):
        return datetime.combine(day, wall, tzinfo=zoneinfo.ZoneInfo(self.zone))


@pytest.fixture(autouse=True)
def own_counters(settings):
    """Fresh join throttle counters, under a prefix no one else uses."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture(params=ZONES)
def scene(request, world):
    zone = request.param
    home = world.home
    with time_machine.travel(datetime.combine(TODAY, NOW, tzinfo=zoneinfo.ZoneInfo(zone)), tick=False):
        home.practice.time_zone = zone
        home.practice.save()
        for role in ("admin", "staff", "practitioner", "client"):
            user = home.member(role)
            user.time_zone = zone
            user.save()
        home.contact.time_zone = zone
        home.contact.save()

        def book(day, wall, **extra):
            start = datetime.combine(day, wall, tzinfo=zoneinfo.ZoneInfo(zone))
            session = SessionFactory(cast=home, start=start, end=start + LENGTH, time_zone=zone, room=home.room,
                                     services=[home.service], **extra)
            ParticipantFactory(session=session, name="Jamie Rivera", client=home.client, time_zone=zone)
            return session

        # The client portal: the service is bookable online with the practitioner, every day 13:00–17:00
        # on the hour (starts that read like none of the UTC clock times this test looks for).
        home.practice.booking_slot_step_minutes = 60
        home.practice.save()
        home.service.bookable_online = True
        home.service.save()
        home.service.practitioners.add(home.practitioner)
        BookingQuestion.objects.create(service=home.service, label="What brings you here?")
        WeeklyHours.objects.bulk_create(WeeklyHours(practice=home.practice, practitioner=home.practitioner, weekday=day,
                                                    start_time=time(13), end_time=time(17)) for day in range(7))
        sessions = {"earlier": book(*EARLIER), "tonight": book(*TONIGHT, delivery_method="video"),
                    "tomorrow": book(*TOMORROW), "saved": book(*SAVED)}
        saved = sessions["saved"]
        ParticipantFactory(session=saved, name=home.contact.name, contact=home.contact, time_zone=zone)
        membership = home.practitioner.memberships.get(practice=home.practice)
        done = completion.Outcome(CompletionType.objects.get(practice=home.practice, label="Completed"))
        completion.save_session(practice=home.practice, actor=home.practitioner, membership=membership, session=saved,
                                same_for_all=done)
        payer = sessions["tomorrow"].participants.get()
        PaymentRequestFactory(participant=payer)
        payment = Payment.objects.create(practice=home.practice, participant=saved.participants.first(),
                                         payment_intent=f"pi_{uuid.uuid4().hex}", amount=Decimal("150.00"), currency="USD")
        closure = Closure.objects.create(practice=home.practice, title="Snow day", start_date=TODAY + timedelta(days=3),
                                         end_date=TODAY + timedelta(days=3))
        yield Scene(zone=zone, world=world, sessions=sessions, pay_token=payments.payment_token(payer),
                    feed_token=ical.ensure_feed_token(membership), payment=payment, closure=closure)


# --- the pages ---------------------------------------------------------------------------------

def each_session(scene):
    return [((s.pk,), {}) for s in scene.sessions.values()]


def crawl_documents(scene):
    """Tonight's client participant and their two documents (made once), the first signed by a typed name."""
    person = scene.sessions["tonight"].participants.first()
    if not person.document_requests.exists():
        practice = scene.world.home.practice
        made = [documents.save_template(practice=practice, actor=None, name=name, title=name,
                                        fields=[Question(key="a", label="Anything to add?")]).template
                for name in ("Crawl intake", "Crawl consent")]
        package = documents.save_package(practice=practice, name="Crawl package", templates=made)
        documents.assign(participant=person, package=package, actor=None)
        documents.sign(request=person.document_requests.order_by("position", "id").first(),
                       data=documents.Signing(answers={}, typed_signature="Jamie Rivera", consent=True))
    return person, list(person.document_requests.select_related("version", "submission").order_by("position", "id"))


def month_range(scene):
    start = scene.local(date(2030, 1, 1), time(0))
    return {"start": start.isoformat(), "end": (start + timedelta(days=35)).isoformat()}


def portal_slot(scene):
    """A free slot the portal lists, as its URLs carry it (UTC, to the minute)."""
    return {"start": scene.local(TODAY + timedelta(days=2), time(14)).astimezone(UTC).strftime("%Y%m%dT%H%MZ")}


def portal_steps(scene, *rest):
    return (scene.world.home.service.pk, *rest)


PERIOD = {"from": "2030-01-01", "to": "2030-01-31"}
NO_ARGS = [((), {})]

# URL name -> the (args, query) to fetch it with. Pages whose name is not here are fetched once,
# without arguments (and must need none).
ARGS = {
    "service_edit": lambda s: [((s.world.home.service.pk,), {})],
    "room_edit": lambda s: [((s.world.home.room.pk,), {})],
    "availability_for": lambda s: [((s.world.home.practitioner.pk,), {}), ((s.world.home.admin.pk,), {})],
    "sessions_app:contact_edit": lambda s: [((s.world.home.contact.pk,), {})],
    "sessions_app:contact_delete": lambda s: [((s.world.home.contact.pk,), {})],
    "sessions_app:contact_search": lambda s: [((), {"q": "Jam"}), ((), {"q": s.world.home.contact.name[:3]})],
    "sessions_app:session_new": lambda s: NO_ARGS + [((), {"date": "2030-01-16", "time": "09:25", "length": "50"})],
    "sessions_app:session_edit": each_session,
    "sessions_app:session_cancel": each_session,
    "sessions_app:session_detail": each_session,
    "sessions_app:series_enable": each_session,
    "sessions_app:session_save": each_session,
    "sessions_app:session_popup": each_session,
    "sessions_app:session_list": lambda s: NO_ARGS + [((), {"from": "2030-01-01", "to": "2030-01-31"})],
    "sessions_app:cancellations": lambda s: NO_ARGS + [((), {"first_day": "2030-01-15", "last_day": "2030-01-16"})],
    "sessions_app:cancellations_preview": lambda s: NO_ARGS + [((), {"first_day": "2030-01-15", "last_day": "2030-01-16"})],
    "sessions_app:calendar_feed": lambda s: [((s.feed_token,), {})],
    "sessions_app:calendar": lambda s: NO_ARGS + [((), {"date": "2030-01-16"})],
    "sessions_app:calendar_events": lambda s: [((), month_range(s))],
    "sessions_app:session_move": each_session,
    "sessions_app:closure_delete": lambda s: [((s.closure.pk,), {})],
    "billing:clients": lambda s: NO_ARGS + [((), PERIOD)],
    "billing:client_account": lambda s: [(("u", s.world.home.client.pk), PERIOD), (("c", s.world.home.contact.pk), PERIOD)],
    "billing:invoice": lambda s: [(("u", s.world.home.client.pk), PERIOD), (("c", s.world.home.contact.pk), PERIOD)],
    "billing:invoice_pdf": lambda s: [(("u", s.world.home.client.pk), PERIOD)],
    "billing:wages": lambda s: NO_ARGS + [((), PERIOD)],
    # A link that does not work shows the "ask for a new one" page.
    "password_reset_confirm": lambda s: [(("MQ", "set-password"), {})],
    "billing:my_balance": lambda s: NO_ARGS + [((), PERIOD)],
    "billing:pay": lambda s: [((s.pay_token,), {})],
    "billing:pay_done": lambda s: [((s.pay_token,), {})],
    "billing:stripe_webhook": lambda s: [((s.world.home.practice.slug,), {})],
    "notifications:twilio_status_practice": lambda s: [((s.world.home.practice.slug,), {})],
    "billing:refund": lambda s: [((s.payment.pk,), {})],
    # Client portal invitations: a link that does not work shows the "ask for a new invitation" page;
    # the invitation buttons are POST only (a GET answers 405); "client" redirects to a contact's page.
    "activate": lambda s: [(("MQ", "set-password"), {}), (("MQ", "1-abc"), {})],
    "invitations:invite": lambda s: [((s.world.home.contact.pk,), {})],
    "invitations:revoke": lambda s: [((s.world.home.contact.pk,), {})],
    "invitations:client": lambda s: [((s.world.home.client.pk,), {})],
    # The client portal: Bookings and the booking steps (the slots are in the client's zone).
    "portal:booking": each_session,
    "portal:booking_cancel": each_session,
    "portal:booking_pay": each_session,  # a GET leads back to the booking
    "portal:booking_reschedule": each_session,
    "portal:booking_reschedule_confirm": lambda s: [((s.sessions["tomorrow"].pk,), portal_slot(s))],
    "portal:book_method": lambda s: [(portal_steps(s), {})],
    "portal:book_practitioner": lambda s: [(portal_steps(s, "video"), {})],
    "portal:book_time": lambda s: [(portal_steps(s, "video", s.world.home.practitioner.pk), {}),
                                   (portal_steps(s, "video", s.world.home.practitioner.pk), {"day": "2030-01-17"})],
    "portal:book_details": lambda s: [(portal_steps(s, "video", s.world.home.practitioner.pk), portal_slot(s))],
    # Packages: a product's page (one made for the crawl), a client's packages (a contact's says none).
    "billing:package_edit": lambda s: [((PackageProduct.objects.get_or_create(
        practice=s.world.home.practice, name="Crawl bundle", defaults={"session_count": 5, "price": 5, "validity_days": 30})[0].pk,), {})],
    "billing:client_packages": lambda s: [(("u", s.world.home.client.pk), {}), (("c", s.world.home.contact.pk), {})],
    # The meeting room: the host's room, and the participant's page from a join token (with and
    # without a participant); "tonight" is open (the device check), the others say when they open.
    "meetings:host_room": each_session,
    "meetings:room": lambda s: [((meetings.join_token(session),), {}) for session in s.sessions.values()]
    + [((meetings.join_token(session, session.participants.first()),), {}) for session in s.sessions.values()],
}
# Participant documents: a package sent to tonight's client, the first document signed.
ARGS.update({
    "documents:participant": lambda s: [((documents.token_for(crawl_documents(s)[0]),), {})],
    "documents:fill": lambda s: [((documents.token_for(crawl_documents(s)[0]), r.pk), {}) for r in crawl_documents(s)[1]],
    "documents:signed_copy": lambda s: [((documents.token_for(crawl_documents(s)[0]), crawl_documents(s)[1][0].pk), {})],
    "documents:submission": lambda s: [((crawl_documents(s)[1][0].submission.pk,), {})],
    "documents:submission_pdf": lambda s: [((crawl_documents(s)[1][0].submission.pk,), {}),
                                           ((crawl_documents(s)[1][0].submission.pk,), {"part": "document"})],
    "documents:portal_signed_copy": lambda s: [((crawl_documents(s)[1][0].pk,), {})],
    "documents:template_edit": lambda s: [((r.version.template_id,), {}) for r in crawl_documents(s)[1]],
    "documents:package_edit": lambda s: [((crawl_documents(s)[1][0].package_id,), {})],
})
# Pages not fetched here, and why.
SKIPPED = {
    "documents:autosave": "POST only (a GET answers 405); the fill page, crawled, posts to it",
    "favicon.ico": "a redirect to a static file",
    "day_off_add": "POST only (a GET answers 405); its errors show on the availability page, crawled",
    "day_off_delete": "POST only (a GET answers 405)",
    "sessions_app:request_confirm": "POST only (a GET answers 405); its button is on the dashboard and session pages, crawled",
    "sessions_app:request_decline": "POST only (a GET answers 405)",
    "billing:client_package_cancel": "POST only (a GET answers 405); its button is on the client's packages, crawled",
    "portal:package_pay": "POST only (a GET answers 405); its button is on the portal's Packages page, crawled",
}


def app_pages(resolver=None, namespace=""):
    """(name, pattern) of every page in the URLconf but Django admin's (crawled by admin_pages)."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            yield from app_pages(entry, entry.namespace or namespace)
        else:
            name = entry.name or str(entry.pattern)
            yield (f"{namespace}:{name}" if namespace and entry.name else name), entry


def app_urls(scene):
    urls = []
    for name, _pattern in app_pages():
        if name in SKIPPED:
            continue
        for args, query in ARGS.get(name, lambda s: NO_ARGS)(scene):
            urls.append((name, args, reverse(name, args=args), query))
    return urls


def admin_urls(scene):
    """The admin index, and each registered model's list and the change page of its first row."""
    urls = [("admin:index", (), reverse("admin:index"), {})]
    for model, model_admin in admin_site._registry.items():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        urls.append(("admin:changelist", info, reverse(f"admin:{info}_changelist"), {}))
        first = model_admin.get_queryset(admin_request(scene)).order_by("pk").first()
        if first is not None:
            urls.append(("admin:change", info, reverse(f"admin:{info}_change", args=[first.pk]), {}))
    return urls


def admin_request(scene):
    """Enough of a request for a ModelAdmin's queryset: the practice admin and their practice."""
    home = scene.world.home
    return SimpleNamespace(user=home.admin, practice=home.practice, membership=home.admin.memberships.get(practice=home.practice))


# --- reading a page ----------------------------------------------------------------------------

def page_text(response) -> str:
    """What a person (or the calendar's script) reads: a PDF's text; HTML without the unchosen
    <option>s of a time picker (they list every time of day)."""
    if response.get("Content-Type", "").startswith("application/pdf"):
        return pdf_text(response.content)
    text = response.content.decode("utf-8", errors="replace")
    return re.sub(r"<option(?![^>]*\bselected\b)[^>]*>.*?</option>", "", text, flags=re.S)


def clock_patterns(moment: datetime) -> list[re.Pattern]:
    """The ways a page may write ``moment``'s clock time: 5:25 PM, 5:25 p.m., 17:25, T17:25:00."""
    hour, minute = moment.hour, moment.minute
    twelve = hour % 12 or 12
    half = "a" if hour < 12 else "p"
    return [
        re.compile(rf"(?<![\d:]){twelve}:{minute:02d}\s*{half}\.?m\b", re.I),
        re.compile(rf"(?<![\d:])0?{hour}:{minute:02d}(?!\d)(?!\s*[ap]\.?m)", re.I),
    ]


def utc_patterns(scene):
    """Each known time (the sessions' starts and ends, and now) read in UTC."""
    moments = [scene.local(*when) + extra for when in (EARLIER, TONIGHT, TOMORROW, SAVED) for extra in (timedelta(0), LENGTH)]
    moments.append(scene.local(TODAY, NOW))
    return [(moment.astimezone(UTC), pattern) for moment in moments for pattern in clock_patterns(moment.astimezone(UTC))]


def g_i_a(day, wall):
    """How the pages write a local time: "9:25 AM"."""
    return datetime.combine(day, wall).strftime("%I:%M %p").lstrip("0")


def get(client, url, query):
    return client.get(url, query)


def logged_in(client, scene, role):
    client.logout()
    if role is not None:
        assert client.login(email=scene.world.home.member(role).email, password=PASSWORD)
    return client


def utc_times_on(text, scene):
    return sorted({f"{match.group(0)!r} (UTC {moment:%H:%M})" for moment, pattern in utc_patterns(scene)
                   for match in pattern.finditer(text)})


# --- the tests ---------------------------------------------------------------------------------

def test_every_page_is_crawled():
    """A page that takes arguments is in ARGS (how to build them) or in SKIPPED (why not)."""
    missing = [name for name, pattern in app_pages()
               if pattern.pattern.converters and name not in ARGS and name not in SKIPPED]
    assert not missing, f"Pages with arguments this test does not build yet: {missing}"
    assert set(ARGS) <= {name for name, _ in app_pages()}, "ARGS names a page that no longer exists"


def test_the_times_are_told_apart(scene):
    """No local time of the scene reads like one of its UTC times (else the crawl would prove nothing)."""
    moments = [scene.local(*when) + extra for when in (EARLIER, TONIGHT, TOMORROW, SAVED) for extra in (timedelta(0), LENGTH)]
    moments.append(scene.local(TODAY, NOW))
    local = [text for m in moments for text in (g_i_a(m.date(), m.time()), f"{m:%H:%M}", m.isoformat())]
    assert utc_times_on("\n".join(local), scene) == []
    assert all(any(p.search(g_i_a(m.date(), m.time())) for p in clock_patterns(m)) for m in moments)  # the patterns read


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_no_page_shows_a_utc_time(client, scene, role):
    with time_machine.travel(scene.local(TODAY, NOW), tick=False):
        logged_in(client, scene, role)
        urls = app_urls(scene) + (admin_urls(scene) if role == "admin" else [])
        found, statuses = {}, {}
        for name, args, url, query in urls:
            response = get(client, url, query)
            statuses[(name, args, url)] = response.status_code
            assert response.status_code < 500, (name, url, query)
            times = utc_times_on(page_text(response), scene)
            if times:
                found[f"{url}?{query}" if query else url] = times
        assert found == {}
        # The crawl reached the pages: a team member and a client each got real pages back.
        assert sum(status == 200 for status in statuses.values()) >= (20 if role in TEAM else 3)


def local_pages(scene):
    """(role, url, query, text the page must show): where each known session is shown, in local time."""
    s = scene.sessions
    earlier, tonight, tomorrow = g_i_a(*EARLIER), g_i_a(*TONIGHT), g_i_a(*TOMORROW)
    offset = scene.local(*TOMORROW).strftime("%z")
    iso = f"{TOMORROW[0].isoformat()}T{TOMORROW[1]:%H:%M}:00{offset[:3]}:{offset[3:]}"
    pages = []
    for role in TEAM:
        pages += [
            (role, reverse("sessions_app:dashboard"), {}, tomorrow),
            (role, reverse("sessions_app:session_list"), {}, tomorrow),
            (role, reverse("sessions_app:open_sessions"), {}, earlier),
            (role, reverse("sessions_app:session_save", args=[s["earlier"].pk]), {}, earlier),
            (role, reverse("sessions_app:session_edit", args=[s["tomorrow"].pk]), {}, tomorrow),
        ]
    for role in OFFICE:
        pages.append((role, reverse("sessions_app:cancellations_preview"), {"first_day": "2030-01-15", "last_day": "2030-01-16"},
                      tomorrow))
    for role in TEAM | {"client"}:
        pages += [
            (role, reverse("sessions_app:calendar_events"), month_range(scene), iso),
            (role, reverse("sessions_app:session_detail", args=[s["tomorrow"].pk]), {}, tomorrow),
            (role, reverse("sessions_app:session_popup", args=[s["tonight"].pk]), {}, tonight),
        ]
    pages += [
        ("client", reverse("portal:home"), {}, tomorrow),
        ("client", reverse("portal:booking", args=[s["tomorrow"].pk]), {}, tomorrow),
        ("client", reverse("portal:book_details", args=portal_steps(scene, "video", scene.world.home.practitioner.pk)),
         portal_slot(scene), g_i_a(TODAY + timedelta(days=2), time(14))),
        (None, reverse("billing:pay", args=[scene.pay_token]), {}, tomorrow),
    ]
    return pages


def test_the_pages_that_show_a_session_show_its_local_time(client, scene):
    with time_machine.travel(scene.local(TODAY, NOW), tick=False):
        missing = []
        for role, url, query, expected in local_pages(scene):
            response = get(logged_in(client, scene, role), url, query)
            if response.status_code != 200 or expected not in page_text(response):
                missing.append((role, url, query, response.status_code, expected))
        assert missing == []


def test_the_waiting_room_shows_the_local_time_and_no_utc(client, scene):
    with time_machine.travel(scene.local(TODAY, NOW), tick=False):
        response = client.post(reverse("sessions_app:join"), {"code": scene.sessions["tonight"].access_code}, follow=True)
        text = page_text(response)
    assert "You are in the waiting room" in text and g_i_a(*TONIGHT) in text and f"({scene.zone})" in text
    assert utc_times_on(text, scene) == []
