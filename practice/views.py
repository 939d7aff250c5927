from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from practice import access
from practice.forms import RoomForm, ServiceForm
from practice.models import Role, Room, Service


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    membership = request.membership
    if membership is None:
        return render(request, "practice/no_practice.html", status=403)
    if membership.role == Role.CLIENT:
        return redirect("sessions_app:my_sessions")
    return redirect("sessions_app:dashboard")


@access.admin_required
def practice_settings(request):
    return render(request, "practice/settings.html", {
        "services": Service.objects.filter(practice=request.practice),
        "rooms": Room.objects.filter(practice=request.practice),
    })


def _edit(request, form_class, instance, noun):
    form = form_class(request.POST or None, instance=instance, practice=request.practice)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, f"{noun} “{saved}” saved.")
        return redirect("practice_settings")
    return render(request, "practice/settings_form.html", {"form": form, "noun": noun, "instance": instance})


@access.member_required
def service_edit(request, pk=None):
    if pk:
        instance = access.service_for(request, pk)
    else:
        access.require(request, [Role.ADMIN])
        instance = None
    return _edit(request, ServiceForm, instance, "Service")


@access.member_required
def room_edit(request, pk=None):
    if pk:
        instance = access.room_for(request, pk)
    else:
        access.require(request, [Role.ADMIN])
        instance = None
    return _edit(request, RoomForm, instance, "Room")
