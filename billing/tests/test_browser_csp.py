"""With the Content-Security-Policy on (issue 12, item 9), the main pages run without a single violation:
Chromium reports each refused script, style, font, image or connection as a console error and a
``securitypolicyviolation`` event; both are collected on every page, after its scripts have run."""
import pytest
from django.core.management import call_command
from django.urls import reverse

from sessions_app.models import Session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watched(page):
    errors = []
    page.add_init_script(COLLECT)
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def log_in(page, live_server, email):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def visit(page, live_server, path, ready=None):
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200, path
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    if ready:
        page.wait_for_selector(ready)
    page.wait_for_timeout(150)
    return page.evaluate("window.__csp")


def test_main_pages_have_no_csp_violations(page, live_server):
    call_command("demo_data", stdout=open("/dev/null", "w"))
    session = Session.objects.filter(practitioner__email="host@demo.test", participants__client__isnull=False).first()
    errors = watched(page)
    log_in(page, live_server, "admin@demo.test")
    client_pk = session.participants.filter(client__isnull=False).first().client_id
    pages = [
        (reverse("sessions_app:dashboard"), None),
        (reverse("sessions_app:calendar"), ".fc-view"),
        (reverse("sessions_app:session_new"), "main form"),
        (reverse("sessions_app:session_list"), None),
        (reverse("sessions_app:session_detail", args=[session.pk]), None),
        (reverse("sessions_app:session_save", args=[session.pk]), "main form"),
        (reverse("sessions_app:cancellations"), None),
        (reverse("sessions_app:contacts"), None),
        (reverse("billing:clients"), None),
        (reverse("billing:client_account", args=["u", client_pk]), None),
        (reverse("billing:invoice", args=["u", client_pk]), None),
        (reverse("billing:wages"), None),
        (reverse("admin:index"), None),
        (reverse("admin:practice_accesslogentry_changelist"), None),
        (reverse("admin:practice_service_add"), None),
    ]
    violations = {path: visit(page, live_server, path, ready) for path, ready in pages}
    assert {path: found for path, found in violations.items() if found} == {}
    assert errors == []

    # The calendar pop-up (htmx into a modal) and the htmx contact search run under the policy too.
    visit(page, live_server, reverse("sessions_app:calendar") + f"?date={session.start.date().isoformat()}", ".fc-view")
    event = page.locator("a.fc-event").first
    if event.count():
        event.click()
        page.wait_for_timeout(500)
    assert page.evaluate("window.__csp") == []
    assert errors == []


def test_the_collector_sees_a_violation(page, live_server):
    """The check above would notice: an inline script on a page is refused and reported."""
    errors = watched(page)
    page.goto(f"{live_server.url}/login/")
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.__ran = 1";
                             document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__csp") and errors


def test_the_payment_page_still_reaches_stripe_checkout(page, live_server, world, monkeypatch):
    """``form-action 'self'`` also governs where a form's POST may be redirected (Chromium enforces it):
    the payment page posts to itself and is redirected to Stripe Checkout, which must not be refused."""
    from billing import payments
    from billing.tests.factories import PaymentRequestFactory
    from practice.tests.factories import ParticipantFactory, SessionFactory

    participant = ParticipantFactory(session=SessionFactory(cast=world.home), name="Pat Payer")
    PaymentRequestFactory(participant=participant)
    checkout = "https://checkout.stripe.com/c/pay/cs_test_123"
    monkeypatch.setattr(payments, "start_checkout", lambda participant: checkout)
    page.route("https://checkout.stripe.com/**",
               lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>Stripe Checkout</h1>"))
    errors = watched(page)
    page.goto(f"{live_server.url}{reverse('billing:pay', args=[payments.payment_token(participant)])}")
    page.get_by_role("button", name="Pay securely with Stripe").click()
    page.wait_for_url(checkout)
    assert page.get_by_role("heading").inner_text() == "Stripe Checkout"
    assert errors == []
