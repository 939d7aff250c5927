"""Availability settings: a practitioner's weekly hours and days off, and the practice's online
booking settings.

A practitioner edits their own availability; admins and staff any practitioner's of their practice
(``access.practitioner_for``); clients none. Rows are fetched only through practice.access.
"""
import copy

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from practice import access, selectors
from practice.availability_forms import BookingSettingsForm, DayOffForm, WeekForm
from practice.models import OFFICE_ROLES


def page_url(membership, practitioner):
    """The member's own page is /settings/availability/; anyone else's names the practitioner."""
    if practitioner.pk == membership.user_id:
        return reverse("availability")
    return reverse("availability_for", args=[practitioner.pk])


@access.team_required
def availability(request):
    """The signed-in practitioner's own availability; admins and staff may pick another one
    (``?practitioner=<id>``, the picker's plain GET form) and staff, who host nothing, start with
    the first practitioner."""
    membership = request.membership
    chosen = request.GET.get("practitioner")
    if chosen:
        if not chosen.isdigit():
            raise Http404
        practitioner = access.practitioner_for(membership, int(chosen))
        return redirect(page_url(membership, practitioner))
    hosts = selectors.practitioners(request.practice)
    own = hosts.filter(pk=request.user.pk).first()
    if own is not None:
        return week_page(request, own)
    access.require(membership, OFFICE_ROLES)
    first = hosts.first()
    if first is None:
        return render(request, "practice/availability.html", {"practitioner": None, "practitioners": []})
    return redirect("availability_for", first.pk)


@access.team_required
def availability_for(request, practitioner_id):
    practitioner = access.practitioner_for(request.membership, practitioner_id)
    if practitioner.pk == request.user.pk:
        return redirect("availability")
    return week_page(request, practitioner)


def week_page(request, practitioner):
    membership = request.membership
    existing = access.weekly_hours_of(membership, practitioner)
    week = WeekForm(request.POST or None, practice=request.practice, practitioner=practitioner, existing=existing)
    if request.method == "POST":
        if week.is_valid():
            week.save()
            messages.success(request, f"Weekly hours of {practitioner} saved.")
            return redirect(page_url(membership, practitioner))
        messages.error(request, "Nothing was saved: correct the ranges marked below.")
    return render_page(request, practitioner, week=week)


def render_page(request, practitioner, *, week=None, day_off_form=None):
    membership = request.membership
    if week is None:
        week = WeekForm(practice=request.practice, practitioner=practitioner,
                        existing=access.weekly_hours_of(membership, practitioner))
    if day_off_form is None:
        day_off_form = DayOffForm(practice=request.practice, practitioner=practitioner, prefix="day_off")
    return render(request, "practice/availability.html", {
        "practitioner": practitioner,
        "is_own": practitioner.pk == request.user.pk,
        "practitioners": selectors.practitioners(request.practice) if membership.role in OFFICE_ROLES else [],
        "week": week,
        "days_off": access.days_off_of(membership, practitioner),
        "day_off_form": day_off_form,
        "page_url": page_url(membership, practitioner),
    })


@require_POST
@access.team_required
def day_off_add(request, practitioner_id):
    practitioner = access.practitioner_for(request.membership, practitioner_id)
    form = DayOffForm(request.POST, practice=request.practice, practitioner=practitioner, prefix="day_off")
    if not form.is_valid():
        return render_page(request, practitioner, day_off_form=form)
    day_off = form.save()
    messages.success(request, f"Day off added: {describe(day_off)}.")
    return redirect(page_url(request.membership, practitioner))


@require_POST
@access.team_required
def day_off_delete(request, pk):
    day_off = access.day_off_for(request.membership, pk)
    practitioner = day_off.practitioner
    text = describe(day_off)
    day_off.delete()
    messages.success(request, f"Day off removed: {text}.")
    return redirect(page_url(request.membership, practitioner))


def describe(day_off):
    days = f"{day_off.first_day:%b %-d, %Y}"
    if day_off.last_day != day_off.first_day:
        days += f" – {day_off.last_day:%b %-d, %Y}"
    return f"{days} ({day_off.note})" if day_off.note else days


@access.admin_required
def booking_settings(request):
    """The practice's rules for portal bookings. The form works on a copy of the practice, so a
    refused value never shows up elsewhere on the page."""
    form = BookingSettingsForm(request.POST or None, instance=copy.copy(request.practice))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Online booking settings saved.")
        return redirect("practice_settings")
    return render(request, "practice/booking_settings.html", {"form": form})
