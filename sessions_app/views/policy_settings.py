"""The practice's cancellation policy (admins): the notice, what happens inside it, reschedules,
and the policy text clients read. The rules are in ``sessions_app.policy``."""
from django.contrib import messages
from django.shortcuts import redirect, render

from practice import access
from practice.errors import DomainError
from sessions_app import policy
from sessions_app.models import LateCancelAction
from sessions_app.policy_forms import CancellationPolicyForm


@access.admin_required
def cancellation_policy(request):
    practice = request.practice
    form = CancellationPolicyForm(request.POST if request.method == "POST" else None, practice=practice)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            policy.save_settings(practice=practice, notice_hours=data["cancellation_notice_hours"], inside=data["inside_window"],
                                 kind=data["late_cancel_type"], reschedule_follows=data["reschedule_follows_window"],
                                 note=data["note"])
        except DomainError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(request, "Cancellation policy saved.")
            return redirect("practice_settings")
    saved = policy.policy_of(practice)
    return render(request, "sessions_app/policy_settings.html", {
        "form": form,
        "policy_text": policy.describe(practice),
        "charging_type": form.fields["late_cancel_type"].queryset.filter(client_modifier__gt=0).exists(),
        # A saved Late Cancel whose type was disabled since: the portal says "contact your practitioner".
        "type_unusable": saved.inside_window == LateCancelAction.LATE_CANCEL and policy.late_cancel_type(practice) is None,
    })
