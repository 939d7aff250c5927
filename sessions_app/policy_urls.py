"""The practice's cancellation policy settings (admins)."""
urlpatterns = []
