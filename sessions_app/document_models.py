"""Participant documents (seed 002, step 7.4 "Show Participant Documents"; DESIGN.md invariant 11).

- ``DocumentTemplate``: a form or consent of a practice, by name. What it asks lives in its
  versions: editing a template writes a new ``DocumentTemplateVersion`` (the database refuses
  UPDATE of a version), so what was already sent or signed keeps its version.
- ``DocumentPackage``: templates picked together ("New client intake") for a participant.
- ``DocumentRequest``: one version sent to one participant, with the answers saved as they go.
- ``DocumentSubmission``: the signed document. Append-only (the database refuses UPDATE and
  DELETE, migration 0011), one per request (double submission leaves one row), with the answers,
  the signature, the rendered PDF and its SHA-256 kept in the row: nothing read from the template
  afterwards, so editing or deleting it changes no submission, PDF or hash.

The rules are in ``sessions_app.documents``; imported at the bottom of ``sessions_app.models``.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from practice.models import Practice


class DocumentKind(models.TextChoices):
    FORM = "form", "Form to fill in and sign"
    PDF = "pdf", "PDF to read and sign"


class DocumentTemplate(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="document_templates")
    name = models.CharField(max_length=120, help_text="What the team calls it, e.g. Intake questionnaire.")
    kind = models.CharField(max_length=10, choices=DocumentKind.choices, default=DocumentKind.FORM)
    is_active = models.BooleanField(default=True, help_text="Archived templates are not offered in packages any more.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["practice", "name"], name="document_template_name_unique")]

    def __str__(self):
        return self.name


class DocumentTemplateVersion(models.Model):
    """What one version of a template shows and asks; never changed once written (trigger in 0011)."""

    template = models.ForeignKey(DocumentTemplate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200, help_text="The heading the participant sees.")
    intro = models.TextField(blank=True, max_length=5000)
    # practice.questions.Question.as_dict() of each field, in order.
    fields = models.JSONField(default=list, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pdf_name = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="one_template_version_number")]

    def __str__(self):
        return f"{self.title} (version {self.number})"


class DocumentPackage(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="document_packages")
    name = models.CharField(max_length=120, help_text="e.g. New client intake, Telehealth consent.")
    templates = models.ManyToManyField(DocumentTemplate, through="DocumentPackageItem", related_name="packages")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["practice", "name"], name="document_package_name_unique")]

    def __str__(self):
        return self.name


class DocumentPackageItem(models.Model):
    package = models.ForeignKey(DocumentPackage, on_delete=models.CASCADE, related_name="items")
    template = models.ForeignKey(DocumentTemplate, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["package", "template"], name="template_once_per_package")]


class DocumentRequest(models.Model):
    """One template version sent to one participant of a session. The participant, session or
    package may go later (SET NULL); the request keeps the signer's name and its version."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey("sessions_app.Session", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="document_requests")
    participant = models.ForeignKey("sessions_app.Participant", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="document_requests")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="document_requests")
    contact = models.ForeignKey("sessions_app.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="document_requests")
    name = models.CharField(max_length=120, help_text="The participant's name when it was sent.")
    package = models.ForeignKey(DocumentPackage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.ForeignKey(DocumentTemplateVersion, on_delete=models.PROTECT, related_name="requests")
    position = models.PositiveSmallIntegerField(default=0)
    draft = models.JSONField(default=dict, blank=True, help_text="Answers saved as the participant goes.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["practice", "client"]), models.Index(fields=["practice", "contact"])]
        constraints = [
            models.UniqueConstraint(fields=["participant", "version"], condition=Q(participant__isnull=False),
                                    name="document_once_per_participant"),
        ]

    def __str__(self):
        return f"{self.version.title} for {self.name}"

    @property
    def is_signed(self) -> bool:
        try:
            return self.submission is not None
        except DocumentSubmission.DoesNotExist:
            return False


class DocumentSubmission(models.Model):
    """A signed document: append-only, hashed (``sha256`` of ``pdf``), one per request."""

    request = models.OneToOneField(DocumentRequest, on_delete=models.RESTRICT, related_name="submission")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    # Copies, so the template may change or go: what was shown, asked and answered.
    title = models.CharField(max_length=200)
    template_name = models.CharField(max_length=120)
    version_number = models.PositiveIntegerField()
    fields = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    signer_name = models.CharField(max_length=120)
    typed_signature = models.CharField(max_length=120, blank=True)
    signature_png = models.BinaryField(null=True, blank=True)
    consent_text = models.TextField()
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", help_text="The portal user who signed, when logged in.")
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(typed_signature="") | Q(signature_png__isnull=False),
                                   name="submission_is_signed"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="submission_sha256_hex"),
        ]

    def __str__(self):
        return f"{self.title} signed by {self.signer_name}"
