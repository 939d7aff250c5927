"""Request a Session: the portal's booking steps, one page each (htmx swaps them in place and
pushes each URL, so Back works): service, delivery method, practitioner (when several offer
it), date and time, the Booking Page Form, review, Confirm & book.

The choices travel in the URL up to the time; the answers and the picked time are kept in the
client's session as a draft until Confirm & book, which hands everything to ``booking.book``:
it checks each choice again, so a stale or edited page can book nothing that is not listed.
"""
import logging
import zoneinfo
from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from practice import questions
from practice.errors import Conflict, DomainError
from practice.models import DeliveryMethod
from practice.questions import Question
from sessions_app import availability, booking, money
from sessions_app.views.portal import client_required
from sessions_app.views.slot_picker import format_start, parse_start, render_in, slot_picker, viewer_zone

log = logging.getLogger(__name__)
DRAFT = "portal_booking"
PACKAGE = "portal_booking_package"  # the client package this booking is on, chosen at step 1
STEP_LABELS = [(1, "Service"), (2, "Delivery"), (3, "Practitioner"), (4, "Date & time"), (5, "Booking form"), (6, "Review")]
METHOD_ICONS = {DeliveryMethod.IN_PERSON: "bi-geo-alt", DeliveryMethod.VIDEO: "bi-camera-video", DeliveryMethod.PHONE: "bi-telephone"}


def _start_over(request, error):
    messages.error(request, " ".join(error.messages) if isinstance(error, DomainError) else str(error))
    return redirect("portal:book")


def _steps(request, service_pk, method=None, practitioner_pk=None):
    """The service, method and practitioner of the URL, each checked (DomainError otherwise)."""
    service = booking.bookable_service(request.practice, service_pk)
    method = booking.delivery_method_of(service, method) if method is not None else None
    practitioner = booking.practitioner_of(service, practitioner_pk) if practitioner_pk is not None else None
    return service, method, practitioner


def _page(request, template, zone=None, **context):
    context = {"method_icons": METHOD_ICONS, "step_labels": STEP_LABELS, "zone": zone.key if zone else None, **context}
    if zone is None:
        return render(request, f"sessions_app/portal/{template}", context)
    return render_in(zone, request, f"sessions_app/portal/{template}", context)


@client_required
def choose_service(request):
    """Step 1. ``?package=<id>`` books on that package's credits (only the services it covers are
    offered); ``?package=none`` (or a package that cannot be used) books without one."""
    services = booking.bookable_services(request.practice)
    if "package" in request.GET:
        request.session[PACKAGE] = None
        chosen = request.GET["package"]
        if chosen != "none":
            package = _usable_package(request, chosen)
            if package is None:
                messages.error(request, "That package cannot be booked from. Choose a service to book without it.")
            else:
                request.session[PACKAGE] = package.pk
    package = _usable_package(request, request.session.get(PACKAGE))
    if package is not None:
        covered = {service.pk for service in package.services.all()}
        services = [service for service in services if service.pk in covered]
    return _page(request, "book_service.html", services=services, package=package, step=1)


def _usable_package(request, pk):
    """One of the client's packages that can be booked from now, or None."""
    if not str(pk or "").isdigit():
        return None
    package = next((p for p in money.usable_packages(request.practice, request.user) if p.pk == int(pk)), None)
    if package is not None:
        package.left = package.session_count - package.used
    return package


@client_required
def choose_method(request, service):
    try:
        service, _method, _who = _steps(request, service)
    except DomainError as error:
        return _start_over(request, error)
    methods = service.delivery_methods
    if len(methods) == 1:
        return redirect("portal:book_practitioner", service=service.pk, method=methods[0])
    return _page(request, "book_method.html", service=service, methods=[(m, DeliveryMethod(m).label) for m in methods], step=2)


@client_required
def choose_practitioner(request, service, method):
    try:
        service, method, _who = _steps(request, service, method)
    except DomainError as error:
        return _start_over(request, error)
    if len(service.bookable_practitioners) == 1:
        return redirect("portal:book_time", service=service.pk, method=method, practitioner=service.bookable_practitioners[0].pk)
    return _page(request, "book_practitioner.html", service=service, method=method,
                 method_label=DeliveryMethod(method).label, step=3)


@client_required
def choose_time(request, service, method, practitioner):
    try:
        service, method, practitioner = _steps(request, service, method, practitioner)
    except DomainError as error:
        return _start_over(request, error)
    back = (reverse("portal:book_practitioner", args=[service.pk, method]) if len(service.bookable_practitioners) > 1
            else reverse("portal:book_method", args=[service.pk]))
    return slot_picker(
        request, practitioner=practitioner, minutes=service.duration_minutes,
        pick_url=reverse("portal:book_details", args=[service.pk, method, practitioner.pk]),
        context={"title": "Request a Session", "service": service, "method_label": DeliveryMethod(method).label,
                 "back": back, "step": 4, "step_labels": STEP_LABELS},
    )


class BookingPageForm(questions.QuestionsForm):
    """The service's Booking Page Form: ``practice.questions`` builds its fields and checks the
    answers (the rules ``booking.book`` runs too). ``answers`` is question id -> text."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, questions=[Question.of_booking_question(q) for q in questions], **kwargs)


@client_required
def details(request, service, method, practitioner):
    """The picked time (checked: it must still be listed) and the Booking Page Form."""
    try:
        service, method, practitioner = _steps(request, service, method, practitioner)
    except DomainError as error:
        return _start_over(request, error)
    zone = viewer_zone(request)
    start = parse_start(request.GET.get("start") or request.POST.get("start"))
    time_url = reverse("portal:book_time", args=[service.pk, method, practitioner.pk]) + f"?tz={zone.key}"
    minutes = service.duration_minutes
    if start is None:
        messages.error(request, booking.SLOT_NOT_OFFERED)
        return redirect(time_url)
    if not availability.is_free(practice=request.practice, practitioner=practitioner, minutes=minutes, start=start):
        error = booking.refusal(practice=request.practice, practitioner=practitioner, minutes=minutes, start=start)
        messages.error(request, " ".join(error.messages))
        return redirect(time_url + f"&day={start.astimezone(zone):%Y-%m-%d}")
    draft = request.session.get(DRAFT) or {}
    same = draft.get("service") == service.pk and draft.get("start") == format_start(start)
    initial = {f"q{pk}": value for pk, value in (draft.get("answers") or {}).items()} if same else None
    form = BookingPageForm(request.POST or None, questions=service.active_questions, initial=initial)
    if request.method == "POST" or not service.active_questions:
        if not service.active_questions:
            form = BookingPageForm({}, questions=[])
        if form.is_valid():
            request.session[DRAFT] = {"service": service.pk, "method": method, "practitioner": practitioner.pk,
                                      "start": format_start(start), "tz": zone.key, "answers": form.answers}
            return redirect("portal:book_review")
    return _page(request, "book_details.html", form=form, service=service, method_label=DeliveryMethod(method).label,
                 practitioner=practitioner, start=start.astimezone(zone), zone=zone, back=time_url, step=5,
                 start_value=format_start(start))


def _draft(request):
    """The draft's choices, checked again, as BookingData; DomainError when any no longer holds."""
    draft = request.session.get(DRAFT)
    start = parse_start((draft or {}).get("start"))
    if not draft or start is None:
        raise DomainError("Start by choosing a service.", code="no_draft")
    service, method, practitioner = _steps(request, draft.get("service"), draft.get("method"), draft.get("practitioner"))
    return booking.BookingData(service=service, delivery_method=method, practitioner=practitioner, start=start,
                               time_zone=viewer_zone(request).key if request.GET.get("tz") else draft.get("tz"),
                               answers=draft.get("answers") or {}, package_id=request.session.get(PACKAGE))


@client_required
def review(request):
    """Review all details and Confirm & book."""
    try:
        data = _draft(request)
    except DomainError as error:
        return _start_over(request, error)
    zone = zoneinfo.ZoneInfo(data.time_zone)
    time_url = reverse("portal:book_time", args=[data.service.pk, data.delivery_method, data.practitioner.pk])
    if request.method == "POST":
        try:
            session = booking.book(membership=request.membership, data=data)
        except Conflict as error:  # just taken: fresh slots of that day
            messages.error(request, " ".join(error.messages))
            return redirect(f"{time_url}?tz={zone.key}&day={data.start.astimezone(zone):%Y-%m-%d}")
        except DomainError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(f"{time_url}?tz={zone.key}")
        request.session.pop(DRAFT, None)
        request.session.pop(PACKAGE, None)
        if session.is_payment_pending:
            return checkout_or_release(request, session)
        if session.is_requested:
            messages.success(request, "Your request is sent. You should receive a confirmation email once your "
                                      "practitioner confirms the request.")
        else:
            messages.success(request, "Your session is booked. A confirmation email is on its way.")
        return redirect("portal:booking", pk=session.pk)
    answers = [(q, data.answers.get(str(q.pk), "")) for q in data.service.active_questions]
    package = _usable_package(request, data.package_id)
    return _page(request, "book_review.html", data=data, start=data.start.astimezone(zone), zone=zone, package=package,
                 pay=None if data.package_id else booking.payment_at_booking(request.practice, data.service),
                 end=(data.start + timedelta(minutes=data.service.duration_minutes)).astimezone(zone), answers=answers,
                 method_label=DeliveryMethod(data.delivery_method).label, step=6,
                 requires_confirmation=request.practice.booking_requires_confirmation,
                 back=reverse("portal:book_details", args=[data.service.pk, data.delivery_method, data.practitioner.pk])
                 + f"?start={format_start(data.start)}&tz={zone.key}")



def checkout_or_release(request, session):
    """Send the client to Stripe Checkout for a booking waiting for its payment; if Checkout cannot
    be started, free the slot at once and say so."""
    participant = session.participants.get()
    try:
        url = money.booking_checkout(participant, capture_manual=request.practice.booking_requires_confirmation,
                                     hold_until=session.hold_expires_at)
    except Exception as error:  # Stripe unreachable or refusing: the slot must not stay held for nothing
        log.warning("Checkout for session %s could not be started: %s", session.pk, error)
        booking.expire_hold(session=session, now=session.hold_expires_at)
        messages.error(request, "The payment page could not be opened, so the time was not booked. Please try again.")
        return redirect("portal:book")
    if request.htmx:  # a boosted form: the browser itself must go to Stripe
        return HttpResponseClientRedirect(url)
    return redirect(url)
