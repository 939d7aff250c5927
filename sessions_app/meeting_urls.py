"""The meeting room: Enter Meeting (host), the device check and waiting room (participants)."""
app_name = "meetings"
urlpatterns = []
