"""The client portal: home (Bookings, notes, closures, balance), one booking, its cancel and
reschedule. The booking steps themselves are in ``views/booking.py``."""
import zoneinfo
from datetime import timedelta

from django.contrib import messages
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from practice import access as practice_access
from practice.errors import DomainError
from practice.models import Role
from sessions_app import access, booking, money, policy
from sessions_app.closures import closures_between, mark_closures
from sessions_app.models import Participant, SessionService, SessionStatus
from sessions_app.views.slot_picker import parse_start, render_in, slot_picker, viewer_zone

client_required = practice_access.role_required(Role.CLIENT)
PAST_SHOWN = 20


def _my_sessions(request):
    others = Participant.objects.filter(session=OuterRef("pk"), is_client=True).exclude(client=request.user)
    return (
        access.sessions_visible_to(request.membership)
        .annotate(is_shared=Exists(others))
        .select_related("practitioner", "room")
    )


@client_required
def home(request):
    """Request a Session, then Bookings: requests and upcoming sessions, then past ones."""
    now = timezone.now()
    sessions = _my_sessions(request)
    lines = SessionService.objects.select_related("service")
    upcoming = mark_closures(
        sessions.filter(end__gte=now, status=SessionStatus.SCHEDULED).order_by("start")
        .prefetch_related(Prefetch("session_services", queryset=lines))[:50],
        request.practice)
    past = list(sessions.exclude(end__gte=now, status=SessionStatus.SCHEDULED).order_by("-start")[:PAST_SHOWN])
    today = timezone.localdate(now, zoneinfo.ZoneInfo(request.practice.time_zone))
    return render(request, "sessions_app/portal/home.html", {
        "upcoming": upcoming, "past": past, "services": booking.bookable_services(request.practice).exists(),
        "closures": closures_between(request.practice, today, today + timedelta(days=90)).order_by("start_date"),
        "balance": money.client_balance(request.practice, request.user), "currency": request.practice.currency,
    })


@client_required
def booking_detail(request, pk):
    session = access.session_for(request.membership, pk)
    answers = session.booking_answers.all() if session.created_by_id == request.user.pk else []
    return render(request, "sessions_app/portal/booking_detail.html", {
        "session": session, "answers": answers, "can_change": _can_change(session, request.user),
    })


def _can_change(session, client) -> bool:
    """Whether the client may reschedule or cancel it here: scheduled, not started, theirs alone."""
    if not hasattr(session, "is_shared"):
        session.is_shared = booking.shared_with_others(session, client)
    return session.status == SessionStatus.SCHEDULED and session.start > timezone.now() and not session.is_shared


@client_required
def booking_cancel(request, pk):
    session = access.session_for(request.membership, pk)
    if request.method == "POST":
        try:
            booking.cancel_booking(membership=request.membership, session=session)
        except DomainError as error:
            messages.error(request, " ".join(error.messages))
        else:
            session.refresh_from_db()
            if session.completion_label:  # a Late Cancel under the practice's policy
                messages.success(request, f"Your session is canceled. It counts as a {session.completion_label}.")
            else:
                messages.success(request, "Your session is canceled.")
        return redirect("portal:home")
    return render(request, "sessions_app/portal/booking_cancel.html",
                  {"session": session, "can_change": _can_change(session, request.user)})


@client_required
def booking_reschedule(request, pk):
    """Pick a new time for the client's own booking: the same practitioner, length and rule."""
    session = access.session_for(request.membership, pk)
    if not _can_change(session, request.user) or not policy.may_reschedule(request.practice, session):
        messages.error(request, "This session can no longer be rescheduled here; contact your practitioner.")
        return redirect("portal:booking", pk=session.pk)
    return slot_picker(
        request, practitioner=session.practitioner, minutes=session.duration_minutes, exclude_session=session.pk,
        pick_url=reverse("portal:booking_reschedule_confirm", args=[session.pk]),
        context={"session": session, "title": "Reschedule", "back": reverse("portal:booking", args=[session.pk])},
    )


@client_required
def booking_reschedule_confirm(request, pk):
    session = access.session_for(request.membership, pk)
    zone = viewer_zone(request)
    start = parse_start(request.GET.get("start") or request.POST.get("start"))
    again = reverse("portal:booking_reschedule", args=[session.pk]) + f"?tz={zone.key}"
    if start is None:
        messages.error(request, booking.SLOT_NOT_OFFERED)
        return redirect(again)
    if request.method == "POST":
        try:
            booking.reschedule_booking(membership=request.membership, session=session, start=start)
        except DomainError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(again + f"&day={start.astimezone(zone):%Y-%m-%d}")
        messages.success(request, "Your session is moved to its new time.")
        return redirect("portal:booking", pk=session.pk)
    return render_in(zone, request, "sessions_app/portal/booking_reschedule.html", {
        "session": session, "start": start.astimezone(zone), "end": (start + timedelta(minutes=session.duration_minutes)).astimezone(zone),
        "zone": zone.key, "back": again,
    })


@client_required
def booking_pay(request, pk):
    """Pay now: back to Stripe Checkout for a booking still waiting for its payment."""
    session = access.session_for(request.membership, pk)
    if request.method != "POST":
        return redirect("portal:booking", pk=session.pk)
    if not session.is_payment_pending or session.hold_expires_at <= timezone.now():
        messages.error(request, "This booking is no longer waiting for a payment.")
        return redirect("portal:booking", pk=session.pk)
    from sessions_app.views.booking_steps import checkout_or_release

    return checkout_or_release(request, session)
