"""Adding and editing rooms (settings page); the rule on a room's kind lives in ``rooms``."""
from practice import access as practice_access
from practice.views import edit_page
from sessions_app.room_forms import RoomForm


@practice_access.member_required
def room_edit(request, pk=None):
    return edit_page(request, pk, fetch=practice_access.room_for, form_class=RoomForm, noun="Room")
