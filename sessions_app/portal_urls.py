"""The client portal: home, Bookings, Request a Session (booking), reschedule and cancel."""
app_name = "portal"
urlpatterns = []
