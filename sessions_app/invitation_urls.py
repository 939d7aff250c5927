"""Inviting a contact to the client portal, and revoking it (included at ``portal-invitations/``)."""
from django.urls import path

from sessions_app.views import invitations

app_name = "invitations"
urlpatterns = [
    path("contacts/<int:pk>/invite/", invitations.invite, name="invite"),
    path("contacts/<int:pk>/revoke/", invitations.revoke, name="revoke"),
    path("clients/<int:pk>/", invitations.client, name="client"),
]
