"""One gate for characters the database cannot store.

PostgreSQL refuses the NUL character (``\\x00``) in text, so a form field or query
parameter holding one used to reach a query and answer 500. This middleware answers
400 with a plain sentence instead, for any GET or POST key or value (and an uploaded
file's name) that holds a NUL. It refuses rather than strips: a silently changed value
could save something the person did not type, and no real input contains a NUL.
"""
from django.http import HttpResponseBadRequest
from django.utils.html import escape

MESSAGE = "That input contains a character we cannot store."


def _holds_nul(querydict):
    for key, values in querydict.lists():
        if "\x00" in key or any("\x00" in str(value) for value in values):
            return True
    return False


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _holds_nul(request.GET):
            return self.refuse()
        if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if _holds_nul(request.POST) or any("\x00" in (f.name or "") for f in request.FILES.values()):
                return self.refuse()
        return self.get_response(request)

    @staticmethod
    def refuse():
        return HttpResponseBadRequest(
            f"<!doctype html><title>Bad request</title><p>{escape(MESSAGE)} Go back and remove it, then try again.</p>",
            content_type="text/html; charset=utf-8",
        )
