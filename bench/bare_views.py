"""Baselines for bench/scheduling_pages.py: the least a view must do for the same page.

Mounted beside the real URLs (``bench.bare_urls``) and called through the same test client and
middleware, so the ratio compares the product's view with plain Django doing the same job.
"""
from html import escape

from django.http import HttpResponse
from django.urls import include, path

from practice.models import Membership, Room, Service
from sessions_app.forms import TIME_CHOICES
from sessions_app.models import DocumentPackage


def _select(name, options, selected=""):
    inner = "".join(f'<option value="{escape(str(v))}"{" selected" if str(v) == selected else ""}>{escape(str(label))}</option>'
                    for v, label in options)
    return f'<label for="id_{name}">{name}</label><select name="{name}" id="id_{name}" class="form-select">{inner}</select>'


def _input(name, kind="text", value=""):
    return (f'<label for="id_{name}">{name}</label>'
            f'<input type="{kind}" name="{name}" id="id_{name}" value="{escape(value)}" class="form-control">')


def session_form(request):
    """The session form's controls: its option lists in one query each, the same selects and inputs
    (a participant row and a service row, each also as the empty row's template), written as one string."""
    practice = request.membership.practice
    hosts = Membership.objects.filter(practice=practice, role__in=["admin", "practitioner"], is_active=True)
    practitioners = [(pk, f"{first} {last}") for pk, first, last in
                     hosts.values_list("user_id", "user__first_name", "user__last_name")]
    rooms = [("", "No room"), *Room.objects.filter(practice=practice).values_list("pk", "name")]
    services = [("", "Choose a service"), *Service.objects.filter(practice=practice, is_active=True).values_list("pk", "name")]
    packages = [("", "No documents"), *DocumentPackage.objects.filter(practice=practice).values_list("pk", "name")]

    def participant_row(prefix):
        return "".join([
            _input(f"{prefix}-name"), _input(f"{prefix}-time_zone"),
            _select(f"{prefix}-invite_method", [("email", "E-mail"), ("text", "Text"), ("none", "None")]),
            _input(f"{prefix}-email", "email"), _input(f"{prefix}-phone", "tel"), _select(f"{prefix}-document_package", packages),
            _select(f"{prefix}-payment_service", services), _input(f"{prefix}-payment_amount", "number"),
        ])

    def service_row(prefix):
        return _select(f"{prefix}-service", services) + _input(f"{prefix}-price", "number")

    body = "".join([
        "<!doctype html><title>New session</title><form method=post>",
        participant_row("participants-0"), f"<template>{participant_row('participants-__prefix__')}</template>",
        service_row("services-0"), f"<template>{service_row('services-__prefix__')}</template>",
        _select("practitioner", practitioners), _input("day", "date"), _select("start_time", TIME_CHOICES, "09:00"),
        _input("duration_minutes", "number", "50"),
        _select("delivery_method", [("in_person", "In person"), ("video", "Video"), ("phone", "Phone")]),
        _input("time_zone"), _select("room", rooms), "<textarea name=public_note></textarea><textarea name=private_note></textarea>",
        "</form>",
    ])
    return HttpResponse(body)


urlpatterns = [path("bench/bare/session-form/", session_form), path("", include("practice.urls"))]
