"""Participant documents pages: the participant's (a signed link, no login), the team's (list,
signed document with its audit, PDF), the portal's Documents, and the builder (templates and
packages, office roles). Thin: the rules are ``sessions_app.documents``."""
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from practice import access as practice_access
from practice import audit
from practice.errors import DomainError
from practice.headers import no_store
from practice.models import Role
from practice.throttle import client_address
from sessions_app import documents
from sessions_app.document_forms import FieldFormSet, PackageForm, SignForm, TemplateForm, field_initial
from sessions_app.models import DocumentKind, DocumentPackage, DocumentRequest, DocumentSubmission

PAGE_SIZE = 50


# --- The participant: a signed link, no login ----------------------------------------------------

def _participant_or_expired(request, token):
    participant = documents.participant_for_token(token)
    if participant is None:
        return None, render(request, "sessions_app/documents/link_expired.html", status=404)
    return participant, None


@no_store
def participant_documents(request, token):
    participant, expired = _participant_or_expired(request, token)
    if expired:
        return expired
    rows = list(documents.with_status(participant.document_requests.all()))
    signed, sent = documents.summary(rows)
    return render(request, "sessions_app/documents/participant_list.html", {
        "participant": participant, "session": participant.session, "rows": rows, "signed": signed, "sent": sent,
        "token": token, "practice": participant.session.practice,
    })


@no_store
def fill(request, token, pk):
    participant, expired = _participant_or_expired(request, token)
    if expired:
        return expired
    doc = documents.request_of_participant(participant, pk)
    if doc.is_signed:
        return render(request, "sessions_app/documents/signed.html", {
            "participant": participant, "doc": doc, "submission": doc.submission, "token": token,
            "practice": participant.session.practice})
    version = doc.version
    if request.GET.get("pdf") and version.pdf:  # the uploaded PDF to read
        response = HttpResponse(bytes(version.pdf), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, version.pdf_name or "document.pdf")
        return response
    if request.method == "POST":
        form = SignForm(request.POST, version=version)
        if form.is_valid():
            try:
                _submission, created = documents.sign(request=doc, data=form.signing(
                    ip_address=client_address(request), user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    user=request.user if request.user.is_authenticated and request.user.pk == participant.client_id else None))
            except DomainError as refused:
                form.add_refusal(refused)
            else:
                messages.success(request, f"“{version.title}” is signed." if created
                                 else f"“{version.title}” was already signed.")
                return redirect("documents:participant", token=token)
    else:
        initial = {}
        for key, value in (doc.draft or {}).items():
            initial[f"q{key}"] = value
        form = SignForm(version=version, initial=initial)
    rows = list(participant.document_requests.order_by("position", "id").values_list("pk", flat=True))
    return render(request, "sessions_app/documents/fill.html", {
        "participant": participant, "doc": doc, "version": version, "form": form, "token": token,
        "practice": participant.session.practice, "step": rows.index(doc.pk) + 1, "steps": len(rows),
    }, status=400 if form.errors else 200)


@no_store
@require_POST
def autosave(request, token, pk):
    participant = documents.participant_for_token(token)
    if participant is None:
        raise Http404
    doc = documents.request_of_participant(participant, pk)
    form = SignForm(request.POST, version=doc.version)
    errors = documents.save_draft(request=doc, raw=form.raw_answers())
    return JsonResponse({"saved": True, "errors": errors})


@no_store
def signed_copy(request, token, pk):
    """The participant's copy: the signed document exactly as stored."""
    participant = documents.participant_for_token(token)
    if participant is None:
        raise Http404
    doc = documents.request_of_participant(participant, pk)
    if not doc.is_signed:
        raise Http404
    return _pdf(bytes(doc.submission.pdf), doc.submission, suffix="")


def _pdf(data, submission, suffix):
    response = HttpResponse(data, content_type="application/pdf")
    name = f"{slugify(submission.title) or 'document'}-{slugify(submission.signer_name) or 'signed'}{suffix}.pdf"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# --- The team -----------------------------------------------------------------------------------

@practice_access.team_required
def document_list(request):
    """Documents sent to participants: outstanding first by default; searchable by name."""
    state = request.GET.get("state", "outstanding")
    search = (request.GET.get("q") or "").strip()[:120]
    rows = documents.with_status(documents.requests_visible_to(request.membership)).annotate(
        signed=Exists(DocumentSubmission.objects.filter(request=OuterRef("pk"))))
    if state == "outstanding":
        rows = rows.filter(signed=False)
    elif state == "signed":
        rows = rows.filter(signed=True)
    else:
        state = "all"
    if search:
        rows = rows.filter(Q(name__icontains=search) | Q(version__title__icontains=search))
    page = Paginator(rows.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "sessions_app/documents/team_list.html", {"page": page, "state": state, "search": search})


@practice_access.team_required
def submission_detail(request, pk):
    submission = documents.submission_for(request.membership, pk)
    audit.record(request, audit.AccessKind.DOCUMENT, submission.pk,
                 f"signed document {submission.title} of {submission.signer_name}")
    questions = documents.questions_of_submission(submission)
    return render(request, "sessions_app/documents/submission.html", {
        "submission": submission, "doc": submission.request, "questions": questions,
        "signature_data_url": documents.signature_data_url(submission),
    })


@practice_access.team_required
def submission_pdf(request, pk):
    submission = documents.submission_for(request.membership, pk)
    only = request.GET.get("part") == "document"
    audit.record(request, audit.AccessKind.DOCUMENT, submission.pk,
                 f"signed document PDF{' (document only)' if only else ''} {submission.title} of {submission.signer_name}")
    if only:
        return _pdf(bytes(submission.pdf), submission, suffix="")
    return _pdf(documents.download(submission), submission, suffix="-with-audit")


# --- The portal: a client's own documents ------------------------------------------------------------

@practice_access.role_required(Role.CLIENT)
def portal_documents(request):
    rows = list(documents.with_status(documents.requests_visible_to(request.membership))
                .select_related("participant__session").order_by("-created_at", "position", "id"))
    for row in rows:
        valid = row.participant_id and documents.participant_for_token(documents.token_for(row.participant))
        row.link = documents.token_for(row.participant) if valid else None
    return render(request, "sessions_app/documents/portal.html", {"rows": rows})


@practice_access.role_required(Role.CLIENT)
def portal_signed_copy(request, pk):
    doc = documents.own_request(request.membership, pk)
    if not doc.is_signed:
        raise Http404
    return _pdf(bytes(doc.submission.pdf), doc.submission, suffix="")


# --- The builder (admin and staff) -------------------------------------------------------------------

@practice_access.office_required
def builder(request):
    templates = (documents.templates_of(request.membership).prefetch_related("versions")
                 .order_by("-is_active", "name"))
    packages = (DocumentPackage.objects.filter(practice=request.practice)
                .prefetch_related("items__template").order_by("-is_active", "name"))
    return render(request, "sessions_app/documents/builder.html", {"templates": templates, "packages": packages})


@practice_access.office_required
def template_edit(request, pk=None):
    template = documents.template_for(request.membership, pk) if pk else None
    version = documents.latest_version(template) if template else None
    initial = ({"name": template.name, "title": version.title if version else template.name, "kind": template.kind,
                "intro": version.intro if version else "", "is_active": template.is_active}
               if template else {"kind": DocumentKind.FORM, "is_active": True})
    data = request.POST if request.method == "POST" else None
    form = TemplateForm(data, request.FILES or None, initial=initial)
    fields = FieldFormSet(data, prefix="fields", initial=field_initial(version))
    if request.method == "POST" and form.is_valid() and fields.is_valid():
        c = form.cleaned_data
        pdf, pdf_name = c["pdf"] or (None, "")
        try:
            saved = documents.save_template(
                practice=request.practice, actor=request.user, template=template, name=c["name"], kind=c["kind"],
                title=c["title"], intro=c["intro"], fields=fields.questions(), pdf=pdf, pdf_name=pdf_name,
                is_active=c["is_active"])
        except DomainError as refused:
            form.add_error("pdf" if refused.code.startswith("pdf") else ("name" if refused.code == "template_name" else None),
                           refused.message)
        else:
            messages.success(request, f"“{saved.template.name}” saved as version {saved.number}. Documents already "
                                      "sent keep the version they were sent with.")
            return redirect("documents:builder")
    return render(request, "sessions_app/documents/template_form.html", {
        "form": form, "fields": fields, "template": template, "version": version,
        "sent": template is not None and DocumentRequest.objects.filter(version__template=template).exists(),
    }, status=400 if request.method == "POST" else 200)


@practice_access.office_required
def package_edit(request, pk=None):
    package = documents.package_for(request.membership, pk) if pk else None
    initial = ({"name": package.name, "is_active": package.is_active,
                "templates": [item.template_id for item in package.items.all()]} if package else {"is_active": True})
    form = PackageForm(request.POST or None, practice=request.practice, initial=initial)
    if request.method == "POST" and form.is_valid():
        chosen = sorted(form.cleaned_data["templates"], key=lambda t: (t.name, t.pk))
        try:
            saved = documents.save_package(practice=request.practice, package=package, name=form.cleaned_data["name"],
                                           templates=chosen, is_active=form.cleaned_data["is_active"])
        except DomainError as refused:
            form.add_error("name" if refused.code == "package_name" else "templates", refused.message)
        else:
            messages.success(request, f"Package “{saved.name}” saved.")
            return redirect("documents:builder")
    return render(request, "sessions_app/documents/package_form.html", {"form": form, "package": package},
                  status=400 if request.method == "POST" else 200)
