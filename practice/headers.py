"""Security headers on every response: Content-Security-Policy, Permissions-Policy, and no caching of
pages with client data.

- ``Content-Security-Policy``: same origin only (every asset is vendored under ``static/``). Scripts
  come from files only: no inline script, no ``eval`` (htmx runs with ``allowEval: false``, see
  templates/base.html). Styles allow ``'unsafe-inline'``: FullCalendar injects a ``<style>`` element
  and style attributes, and templates and Django admin use ``style=`` attributes. Fonts allow ``data:``:
  FullCalendar's icon font is a data: URL in the CSS it injects.
- ``Permissions-Policy``: camera, microphone, geolocation and payment off. A view that needs one
  (the video meeting: camera and microphone) says so with ``@permissions_policy(camera="(self)", ...)``.
- ``Cache-Control: no-store, private`` on HTML, PDF and JSON answered to a logged-in user, and on
  views marked ``@no_store`` (the payment pages reached by a token, without a login).
"""
from functools import wraps

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "font-src": "'self' data:",  # FullCalendar's icon font (the prev/next arrows) is a data: URL in its CSS
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
# Chromium applies form-action to the redirects after a form's POST as well: the payment page posts to
# itself and is redirected to Stripe Checkout, so that page allows Checkout's origin (see billing/payment_views.py).
STRIPE_CHECKOUT = "https://checkout.stripe.com"


def _csp(overrides=None):
    return "; ".join(f"{name} {value}" for name, value in {**CSP_DIRECTIVES, **(overrides or {})}.items())


CONTENT_SECURITY_POLICY = _csp()

PERMISSIONS_POLICY = {"camera": "()", "microphone": "()", "geolocation": "()", "payment": "()"}

NO_STORE = "no-store, private"
PRIVATE_TYPES = ("text/html", "application/pdf", "application/json")


def permissions_policy(**features):
    """Override features of the Permissions-Policy for one view, e.g. ``camera="(self)"``."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.permissions_policy = {**getattr(response, "permissions_policy", {}), **features}
            return response

        return wrapper

    return decorator


def content_security_policy(**directives):
    """Override directives of the CSP for one view: ``form_action="'self' https://checkout.stripe.com"``."""
    overrides = {name.replace("_", "-"): value for name, value in directives.items()}

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.csp_overrides = {**getattr(response, "csp_overrides", {}), **overrides}
            return response

        return wrapper

    return decorator


def no_store(view):
    """Never cache this view's answers (pages reached by a secret link, without a login)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.no_store = True
        return response

    return wrapper


def _policy(overrides):
    features = {**PERMISSIONS_POLICY, **(overrides or {})}
    return ", ".join(f"{name}={allow}" for name, allow in features.items())


class SecurityHeadersMiddleware:
    """Adds the headers above; placed after AuthenticationMiddleware (it reads ``request.user``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", _csp(getattr(response, "csp_overrides", None)))
        response.headers["Permissions-Policy"] = _policy(getattr(response, "permissions_policy", None))
        user = getattr(request, "user", None)
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        private = user is not None and user.is_authenticated and content_type in PRIVATE_TYPES
        if private or getattr(response, "no_store", False):
            response.headers["Cache-Control"] = NO_STORE
        return response
