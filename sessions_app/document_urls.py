"""Participant documents: the participant's signed link (/d/<token>/), the team's pages
(/documents/), the portal's (/my/documents/) and the builder (/settings/documents/)."""
from django.urls import path

from sessions_app.views import documents as views

app_name = "documents"

urlpatterns = [
    path("d/<str:token>/", views.participant_documents, name="participant"),
    path("d/<str:token>/<int:pk>/", views.fill, name="fill"),
    path("d/<str:token>/<int:pk>/save/", views.autosave, name="autosave"),
    path("d/<str:token>/<int:pk>/signed.pdf", views.signed_copy, name="signed_copy"),
    path("documents/", views.document_list, name="list"),
    path("documents/submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("documents/submissions/<int:pk>/pdf/", views.submission_pdf, name="submission_pdf"),
    path("my/documents/", views.portal_documents, name="portal"),
    path("my/documents/<int:pk>/signed.pdf", views.portal_signed_copy, name="portal_signed_copy"),
    path("settings/documents/", views.builder, name="builder"),
    path("settings/documents/templates/new/", views.template_edit, name="template_new"),
    path("settings/documents/templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("settings/documents/packages/new/", views.package_edit, name="package_new"),
    path("settings/documents/packages/<int:pk>/", views.package_edit, name="package_edit"),
]
