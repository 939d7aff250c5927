from django.shortcuts import render

from practice import throttle
from sessions_app import joining
from sessions_app.forms import JoinForm


def join(request):
    form = JoinForm(request.POST or None)
    session = error = None
    if request.method == "POST" and form.is_valid():
        session, error = joining.attempt(form.cleaned_data["code"], throttle.client_address(request))
    zone = joining.shown_zone(session) if session else None
    return render(request, "sessions_app/join.html", {"form": form, "session": session, "error": error, "zone": zone},
                  status=429 if error == joining.THROTTLED else 200)
