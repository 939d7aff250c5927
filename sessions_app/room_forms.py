"""Room forms (settings page and Django admin): both save through ``rooms.save_room``, which may
still refuse (a DomainError) when a booking landed between the form's check and the save."""
from django import forms

from practice.forms import PracticeScopedModelForm
from practice.models import Room, RoomKind
from sessions_app import rooms


class RoomKindMixin:
    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        room = self.instance
        if room.pk and kind == RoomKind.IN_PERSON and room.kind != kind and rooms.room_has_overlapping_sessions(room):
            # Advisory, for a quick answer: rooms.save_room checks again under the room's lock.
            raise forms.ValidationError(rooms.OVERLAPPING_SESSIONS)
        return kind

    def save(self, commit=True):
        room = super().save(commit=False)
        if commit:
            rooms.save_room(room)
        return room


class RoomForm(RoomKindMixin, PracticeScopedModelForm):
    class Meta:
        model = Room
        fields = ["name", "kind", "is_active"]

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class RoomAdminForm(RoomKindMixin, forms.ModelForm):
    class Meta:
        model = Room
        fields = ["practice", "name", "kind", "is_active"]
