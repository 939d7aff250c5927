"""Adding and editing rooms (settings page); the rule on a room's kind lives in ``rooms``."""
from practice import access as practice_access
from practice.models import Role
from practice.views import edit_page
from sessions_app.room_forms import RoomForm


@practice_access.member_required
def room_edit(request, pk=None):
    if pk:
        instance = practice_access.room_for(request.membership, pk)
    else:
        practice_access.require(request.membership, [Role.ADMIN])
        instance = None
    return edit_page(request, RoomForm, instance, "Room")
