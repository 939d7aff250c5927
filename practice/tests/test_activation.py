"""Client portal activation links (issue 13): ``/activate/<membership id>/<token>/`` sets the client's
password once, logs them in to that practice and lands them at ``/my/``; the link expires 72 hours
after the invitation (whatever PASSWORD_RESET_TIMEOUT says), dies on a new invitation or a revocation,
and every link that does not work gets one plain page. A client whose access was revoked, or an
inactive user, cannot log in, with the same answer as a wrong password (counted by the throttle)."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from practice import activation
from practice import forms as practice_forms
from practice.activation import activation_path, activation_token
from practice.auth import MemberBackend
from practice.models import Membership, Role
from practice.tests.factories import PASSWORD, MembershipFactory, PracticeFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-harbor-7731"
START = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)  # the night before New York's clocks go forward
INVALID = "This link has expired or was already used — ask your practitioner for a new invitation"
WRONG = "That e-mail and password do not match an account. Check them and try again."


@pytest.fixture(autouse=True)
def own_counters(settings):
    """Fresh login throttle counters for each test, in the real Redis, under a prefix no one else uses."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


def invite(membership, when=None):
    """What sessions_app.invitations.invite_to_portal does to the membership: active, invited now."""
    membership.is_active, membership.invited_at = True, when or timezone.now()
    membership.save()
    return activation_path(membership)


@pytest.fixture
def invited(world):
    """A new client of the home practice, invited, with no password yet."""
    user = UserFactory(email="new.client@example.com", first_name="Robin", last_name="Ash")
    user.set_unusable_password()
    user.save()
    return MembershipFactory(user=user, practice=world.home.practice, role=Role.CLIENT)


def activate(client, link, password=NEW_PASSWORD):
    opened = client.get(link)
    if opened.status_code != 302:
        return opened
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def does_not_work(response):
    return response.status_code == 200 and INVALID in response.content.decode() and "new_password1" not in response.content.decode()


# --- the link --------------------------------------------------------------------------------------

def test_activation_sets_the_password_and_lands_logged_in_at_the_portal(client, invited, world):
    link = invite(invited)
    token = link.rstrip("/").rsplit("/", 1)[1]
    opened = client.get(link)
    # The token leaves the address at once (no Referer can carry it), as in Django's reset view.
    set_password_url = reverse("activate", kwargs={"uidb64": activation.encode_id(invited), "token": "set-password"})
    assert opened.status_code == 302 and opened["Location"] == set_password_url
    page = client.get(set_password_url)
    assert page.status_code == 200 and "Set your password" in page.content.decode() and token not in page.content.decode()
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]

    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/my/"
    invited.user.refresh_from_db()
    assert invited.user.check_password(NEW_PASSWORD) and invited.user.last_login is not None
    assert client.session["_auth_user_id"] == str(invited.user.pk)
    assert client.session["practice_id"] == world.home.practice.pk
    assert activation.activation_token.__class__.__name__ == "PortalActivationTokenGenerator"
    # And the password is theirs from now on.
    other = Client()
    assert other.post(reverse("login"), {"username": "new.client@example.com", "password": NEW_PASSWORD}).status_code == 302


def test_the_portal_chosen_is_the_inviting_practice(client, invited):
    MembershipFactory(user=invited.user, practice=PracticeFactory(name="Older Practice"), role=Role.CLIENT)
    Membership.objects.filter(pk=invited.pk).update(created_at=timezone.now())  # the newer one
    assert activate(client, invite(invited))["Location"] == "/my/"
    assert client.session["practice_id"] == invited.practice_id


def test_the_link_works_once(client, invited):
    link = invite(invited)
    assert activate(client, link).status_code == 302
    client.logout()
    assert does_not_work(activate(client, link, password="Other-pass-6620"))
    invited.user.refresh_from_db()
    assert invited.user.check_password(NEW_PASSWORD)


def test_a_link_opened_in_two_browsers_sets_the_password_once(invited):
    """Both opened the link (each holds the token in its session); the first to post wins."""
    link, first, second = invite(invited), Client(), Client()
    opened = [first.get(link), second.get(link)]
    assert [r.status_code for r in opened] == [302, 302]
    assert first.post(opened[0]["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})["Location"] == "/my/"
    late = second.post(opened[1]["Location"], {"new_password1": "Other-pass-6620", "new_password2": "Other-pass-6620"})
    assert does_not_work(late) and "_auth_user_id" not in second.session
    invited.user.refresh_from_db()
    assert invited.user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("age, works", [
    (timedelta(hours=3), True),                 # past PASSWORD_RESET_TIMEOUT (2 hours): not that limit
    (timedelta(hours=71, minutes=59), True),
    (timedelta(hours=72, minutes=1), False),
    (timedelta(days=30), False),
])
def test_the_link_expires_72_hours_after_the_invitation(invited, settings, age, works):
    assert settings.PASSWORD_RESET_TIMEOUT == 2 * 60 * 60
    with time_machine.travel(START, tick=False) as traveller:
        link = invite(invited)
        traveller.move_to(START + age)  # across New York's change to daylight time
        response = activate(Client(), link)
    assert (response.status_code == 302 and response["Location"] == "/my/") is works
    assert does_not_work(response) is not works


def test_a_link_that_expires_while_the_page_is_open_is_refused_on_post(invited):
    client = Client()
    with time_machine.travel(START, tick=False) as traveller:
        opened = client.get(invite(invited))
        traveller.move_to(START + timedelta(hours=72, minutes=1))
        response = client.post(opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert does_not_work(response)
    invited.user.refresh_from_db()
    assert not invited.user.has_usable_password()


def test_a_new_invitation_voids_the_old_link(client, invited):
    with time_machine.travel(START, tick=False) as traveller:
        old = invite(invited)
        traveller.shift(timedelta(seconds=1))
        new = invite(invited)
        assert old != new
        assert does_not_work(activate(client, old))
        assert activate(client, new)["Location"] == "/my/"


def test_revoking_voids_the_link(client, invited):
    link = invite(invited)
    invited.is_active, invited.invited_at = False, timezone.now()
    invited.save()
    assert does_not_work(activate(client, link))
    invited.is_active = True  # even switched back on without a new invitation, the old link stays dead
    invited.save()
    assert does_not_work(activate(client, link))


def test_an_inactive_user_cannot_activate(client, invited):
    link = invite(invited)
    invited.user.is_active = False
    invited.user.save()
    assert does_not_work(activate(client, link))


def test_a_weak_password_is_a_form_error_and_the_link_still_works(client, invited):
    opened = client.get(invite(invited))
    response = client.post(opened["Location"], {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and "too common" in response.content.decode()
    invited.user.refresh_from_db()
    assert not invited.user.has_usable_password()
    assert client.post(opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})["Location"] == "/my/"


def team_uid(world):
    return activation.encode_id(Membership.objects.get(user=world.home.practitioner, practice=world.home.practice))


@pytest.mark.parametrize("uid, token", [
    ("MQ", "set-password"),                     # no token in the session
    ("MQ", "1-abc"),
    ("!!!", "abc"),                             # not base64
    ("_w", "cnq0v1-abc"),                       # base64 of a byte that is not UTF-8
    ("YWJj", "cnq0v1-abc"),                     # "abc"
    (urlsafe_base64_encode(force_bytes("99999999999999999999999")), "cnq0v1-abc"),  # beyond any id
    (urlsafe_base64_encode(force_bytes("-5")), "cnq0v1-abc"),
    ("MQ", "zzzzzzzzzzzzzzzzzzzzzzzzz-abc"),     # a timestamp beyond base36's limit
    ("MQ", "no-dash-here-at-all"),
])
def test_garbage_links_get_the_plain_page_never_an_error(client, invited, uid, token):
    invite(invited)
    assert does_not_work(client.get(f"/activate/{uid}/{token}/"))
    assert does_not_work(client.post(f"/activate/{uid}/{token}/", {"new_password1": NEW_PASSWORD,
                                                                    "new_password2": NEW_PASSWORD}))


def test_a_bad_token_for_a_real_membership_and_a_team_membership_get_the_plain_page(client, invited, world):
    link = invite(invited)
    uid = activation.encode_id(invited)
    token = link.rstrip("/").rsplit("/", 1)[1]
    changed = token[:-1] + ("1" if token.endswith("0") else "0")  # one character off, never the token itself
    assert does_not_work(client.get(f"/activate/{uid}/{changed}/"))
    assert does_not_work(client.get(f"/activate/{uid}/{token.upper()}/"))
    # A team membership is never opened by a link, even one with a well-made token.
    team = Membership.objects.get(user=world.home.practitioner, practice=world.home.practice)
    team.invited_at = timezone.now()
    team.save()
    forged = activation_token._make_token_with_timestamp(
        team, activation_token._num_seconds(activation_token._now()), activation_token.secret)
    assert does_not_work(client.get(f"/activate/{team_uid(world)}/{forged}/"))
    world.home.practitioner.refresh_from_db()
    assert world.home.practitioner.check_password(PASSWORD)


def test_the_token_is_not_a_password_reset_token(invited):
    """Django's own reset tokens (over the user) do not open the portal, and this salt is its own."""
    from django.contrib.auth.tokens import default_token_generator

    invite(invited)
    assert not activation_token.check_token(invited, default_token_generator.make_token(invited.user))
    assert activation_token.key_salt != default_token_generator.key_salt


# --- log-in -------------------------------------------------------------------------------------

def log_in(client, email, password, address="10.7.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


def answer(response):
    """(status, the form's error) of a login answer."""
    text = response.content.decode()
    return response.status_code, text.split('alert-danger">')[1].split("</div>")[0].strip() if response.status_code != 302 else ""


def test_a_revoked_clients_right_password_gets_the_wrong_password_answer_and_counts(world):
    client_user = world.home.client
    Membership.objects.filter(user=client_user).update(is_active=False, invited_at=timezone.now())
    revoked = [answer(log_in(Client(), client_user.email, PASSWORD, address="10.7.1.1")) for _ in range(7)]
    wrong = [answer(log_in(Client(), world.home.staff.email, "not-it", address="10.7.1.2")) for _ in range(7)]
    assert revoked == wrong
    assert revoked[0][0] == 200 and WRONG in revoked[0][1]
    assert [status for status, _ in revoked] == [200] * practice_forms.LOGIN_MAX_PER_ACCOUNT + [429] * 2
    # The tries counted against the account: given access back, it is still locked for the window.
    Membership.objects.filter(user=client_user).update(is_active=True)
    assert log_in(Client(), client_user.email, PASSWORD, address="10.7.1.3").status_code == 429


def test_an_inactive_user_gets_the_wrong_password_answer(world):
    world.home.practitioner.is_active = False
    world.home.practitioner.save()
    status, error = answer(log_in(Client(), world.home.practitioner.email, PASSWORD))
    assert status == 200 and WRONG in error


def test_a_client_with_another_active_practice_still_logs_in(world):
    user = world.home.client
    MembershipFactory(user=user, practice=world.outsider.practice, role=Role.CLIENT)
    Membership.objects.filter(user=user, practice=world.home.practice).update(is_active=False)
    client = Client()
    assert log_in(client, user.email, PASSWORD).status_code == 302
    assert client.get(reverse("billing:my_balance")).context["request"].practice == world.outsider.practice


def test_django_admin_staff_may_log_in_without_an_active_membership(world):
    root = UserFactory(email="root@example.test", is_staff=True, is_superuser=True)
    MembershipFactory(user=root, practice=world.home.practice, role=Role.ADMIN, is_active=False)
    assert log_in(Client(), root.email, PASSWORD).status_code == 302


def test_a_revoked_client_signed_in_before_reaches_nothing(world, login):
    client = login(world.home.client)
    assert client.get(reverse("billing:my_balance")).status_code == 200
    Membership.objects.filter(user=world.home.client).update(is_active=False)
    assert client.get(reverse("billing:my_balance")).status_code in (302, 403)


def test_the_backend_asks_about_memberships_only_at_log_in(world, django_assert_num_queries):
    backend = MemberBackend()
    with django_assert_num_queries(1):  # the user; get_user runs on every request
        assert backend.get_user(world.home.client.pk) == world.home.client
    Membership.objects.filter(user=world.home.client).update(is_active=False)
    assert not backend.user_can_authenticate(world.home.client)
    assert backend.user_can_authenticate(world.home.admin)
    lonely = UserFactory()
    assert backend.user_can_authenticate(lonely)  # no membership at all: told so after log-in (test_login)
