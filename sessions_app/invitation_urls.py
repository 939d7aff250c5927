"""Inviting a contact to the client portal, and revoking it."""
app_name = "invitations"
urlpatterns = []
