"""Client portal activation (issue 13): filled in by the activation work."""
urlpatterns = []
