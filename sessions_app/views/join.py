from django.shortcuts import redirect, render

from practice import throttle
from sessions_app import joining, meetings
from sessions_app.forms import JoinForm


def join(request):
    """The 9-digit access code; a correct one leads to the meeting's device check and waiting room
    (``/meet/<token>/``, a new signed join token: the person is known by it from then on)."""
    form = JoinForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        session, error = joining.attempt(form.cleaned_data["code"], throttle.client_address(request))
        if session is not None:
            return redirect("meetings:room", token=meetings.join_token(session))
    return render(request, "sessions_app/join.html", {"form": form, "error": error},
                  status=429 if error == joining.THROTTLED else 200)
