"""The shared test world: a practice with an admin, staff, a practitioner and a
client, and an outsider practice with the same cast, for permission tests."""
from dataclasses import dataclass

import pytest

from practice import embedded
from practice.models import Role
from practice.tests.factories import (
    PASSWORD,
    ContactFactory,
    MembershipFactory,
    PracticeFactory,
    RoomFactory,
    ServiceFactory,
    UserFactory,
)


def pytest_configure(config):
    """Start the embedded PostgreSQL / Redis (when DATABASE_URL / REDIS_URL are unset) before
    any test connects; the settings, which pytest-django loads earlier, only describe them."""
    if config.getoption("help") or config.getoption("version"):
        return
    embedded.ensure_started()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _messaging(settings):
    """Twilio is configured with test credentials and an address where nothing listens:
    no test reaches the network. Celery tasks run in-process unless a test starts a worker."""
    from practice.celery import app

    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_API_BASE = "http://127.0.0.1:9"
    settings.SITE_URL = "https://practice.example.com"
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@dataclass
class Cast:
    practice: object
    admin: object
    staff: object
    practitioner: object
    client: object
    service: object
    room: object
    contact: object

    def member(self, role):
        return getattr(self, role)


def make_cast(prefix):
    practice = PracticeFactory(name=f"{prefix.title()} Practice", slug=prefix)
    people = {}
    for role in Role.values:
        user = UserFactory(email=f"{role}@{prefix}.test")
        MembershipFactory(user=user, practice=practice, role=role)
        people[role] = user
    return Cast(
        practice=practice,
        service=ServiceFactory(practice=practice, name=f"{prefix} therapy"),
        room=RoomFactory(practice=practice, name=f"{prefix} room"),
        contact=ContactFactory(practice=practice, owner=people[Role.PRACTITIONER], name=f"{prefix.title()} Contact"),
        **people,
    )


@dataclass
class World:
    home: Cast
    outsider: Cast


@pytest.fixture
def world(db):
    return World(home=make_cast("home"), outsider=make_cast("outsider"))


@pytest.fixture
def login(client):
    def _login(user):
        assert client.login(email=user.email, password=PASSWORD)
        return client

    return _login


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright; the browser tests skip where it is absent."""
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # tests make around it are plain synchronous ones.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
