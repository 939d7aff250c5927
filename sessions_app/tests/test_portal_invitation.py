"""Inviting a contact to the client portal (issue 13, seed 004): "Invite to client portal" on the
contact's page and the client's account page writes one outbox e-mail with a one-time link; the
contact and their past sessions are linked to the client's log-in; a new invitation, or revoking
access, voids the links sent before; only the practice's team may invite, and only its own contacts."""
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from notifications.models import Channel, Notification, NotificationKind, State
from practice.models import Membership, Role, User
from practice.tests.factories import PASSWORD, ContactFactory, MembershipFactory, PracticeFactory, SessionFactory, UserFactory
from sessions_app import invitations
from sessions_app.models import Contact, Participant

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Harbor-lights-2291"
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
WRONG = "do not match an account"


@pytest.fixture(autouse=True)
def own_counters(settings):
    """Fresh login throttle counters for each test, under a prefix no one else uses."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture
def contact(world):
    return ContactFactory(practice=world.home.practice, owner=world.home.practitioner, name="Jamie  Lee Rivera",
                          email="Jamie.Rivera@Example.com", time_zone="Europe/London")


def invite_url(contact):
    return reverse("invitations:invite", args=[contact.pk])


def revoke_url(contact):
    return reverse("invitations:revoke", args=[contact.pk])


def mails():
    return Notification.objects.filter(kind=NotificationKind.PORTAL_INVITE)


def link_in(notification):
    found = re.search(r"^" + re.escape(settings.SITE_URL) + r"(/activate/\S+/)$", notification.body_text, re.M)
    assert found, notification.body_text
    assert found.group(0) in notification.body_html
    return found.group(1)


def activate(client, link, password=NEW_PASSWORD):
    """Open the mailed link and post a password; the post's response (or the link's, if it does not work)."""
    opened = client.get(link)
    if opened.status_code != 302:
        return opened
    return client.post(opened["Location"], {"new_password1": password, "new_password2": password})


def log_in(client, email, password, address="10.9.0.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address)


# --- the invitation -------------------------------------------------------------------------------

def test_invite_from_the_contact_page_writes_one_email_with_a_working_link(login, world, contact, client):
    team = login(world.home.practitioner)
    page = team.get(reverse("sessions_app:contact_edit", args=[contact.pk])).content.decode()
    assert "Not invited" in page and "Invite to client portal" in page and invite_url(contact) in page

    response = team.post(invite_url(contact), {"next": reverse("sessions_app:contact_edit", args=[contact.pk])})
    assert response.status_code == 302 and response["Location"] == reverse("sessions_app:contact_edit", args=[contact.pk])

    user = User.objects.get(email="jamie.rivera@example.com")
    assert (user.first_name, user.last_name, user.time_zone) == ("Jamie", "Lee Rivera", "Europe/London")
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user, practice=world.home.practice)
    assert membership.role == Role.CLIENT and membership.is_active and membership.invited_at is not None
    contact.refresh_from_db()
    assert contact.client == user

    mail = mails().get()
    assert (mail.channel, mail.to_address, mail.recipient_user, mail.practice) == (
        Channel.EMAIL, "jamie.rivera@example.com", user, world.home.practice)
    host = world.home.practitioner.get_full_name()
    assert mail.subject == f"{host} invited you to the client portal"
    assert "Activate your account" in mail.body_html and "72 hours" in mail.body_text and "works once" in mail.body_text
    page = team.get(reverse("sessions_app:contact_edit", args=[contact.pk])).content.decode()
    assert "not activated yet" in page and "Re-send invitation" in page

    team.logout()
    response = activate(client, link_in(mail))
    assert response.status_code == 302 and response["Location"] == "/my/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(user.pk) and client.session["practice_id"] == world.home.practice.pk

    page = login(world.home.practitioner).get(reverse("sessions_app:contact_edit", args=[contact.pk])).content.decode()
    assert "Active in the client portal" in page and "Revoke portal access" in page and revoke_url(contact) in page


def test_the_link_works_once(world, contact, client):
    invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
    link = link_in(mails().get())
    assert activate(client, link).status_code == 302
    client.logout()
    again = activate(client, link, password="Another-pass-5512")
    assert again.status_code == 200 and "expired or was already used" in again.content.decode()
    assert User.objects.get(email="jamie.rivera@example.com").check_password(NEW_PASSWORD)


def test_the_link_expires_after_72_hours(world, contact):
    with time_machine.travel(START, tick=False) as traveller:
        invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
        link = link_in(mails().get())
        traveller.move_to(START + timedelta(hours=71, minutes=59))
        assert Client().get(link).status_code == 302  # still good
        traveller.move_to(START + timedelta(hours=72, minutes=1))
        late = Client().get(link)
    assert late.status_code == 200 and "expired or was already used" in late.content.decode()


def test_a_new_invitation_voids_the_old_link_and_withdraws_its_unsent_mail(world, contact, client):
    with time_machine.travel(START, tick=False) as traveller:
        invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
        old = mails().get()
        traveller.shift(timedelta(minutes=5))
        invitations.invite_to_portal(practice=world.home.practice, actor=world.home.staff, contact=contact)
        new = mails().exclude(pk=old.pk).get()
        old.refresh_from_db()
        assert old.state == State.CANCELED and new.state == State.PENDING
        assert link_in(old) != link_in(new)
        assert "expired or was already used" in activate(client, link_in(old)).content.decode()
        assert activate(client, link_in(new))["Location"] == "/my/"
    assert User.objects.filter(email__iexact=contact.email).count() == 1
    assert Membership.objects.filter(practice=world.home.practice, user__email__iexact=contact.email).count() == 1


def test_revoking_voids_the_links_and_blocks_login_with_the_wrong_password_answer(login, world, contact, client):
    invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
    first = link_in(mails().get())
    invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
    second = link_in(mails().order_by("-id").first())
    assert activate(client, second)["Location"] == "/my/"
    client.logout()

    team = login(world.home.practitioner)
    response = team.post(revoke_url(contact))
    assert response.status_code == 302
    membership = Membership.objects.get(practice=world.home.practice, user__email=contact.email.lower())
    assert not membership.is_active
    page = team.get(reverse("sessions_app:contact_edit", args=[contact.pk])).content.decode()
    assert "Portal access revoked" in page and "Invite to client portal" in page
    team.logout()

    refused, wrong = log_in(client, contact.email, NEW_PASSWORD), log_in(client, contact.email, "not-it", address="10.9.0.2")
    assert refused.status_code == wrong.status_code == 200
    assert WRONG in refused.content.decode() and WRONG in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    for link in (first, second):
        assert "expired or was already used" in activate(client, link).content.decode()


def test_revoke_before_activation_voids_the_link(world, contact, client):
    invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
    link = link_in(mails().get())
    invitations.revoke_portal_access(practice=world.home.practice, actor=world.home.admin, contact=contact)
    assert mails().get().state == State.CANCELED
    assert "expired or was already used" in activate(client, link).content.decode()


def test_reinviting_after_revoke_gives_access_back(world, contact, client):
    invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
    assert activate(client, link_in(mails().get()))["Location"] == "/my/"
    client.logout()
    invitations.revoke_portal_access(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
    assert log_in(client, contact.email, NEW_PASSWORD).status_code == 200
    invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
    assert log_in(client, contact.email, NEW_PASSWORD).status_code == 302  # the password they chose still works


def test_the_contacts_earlier_participations_are_linked(world, contact, login):
    past = SessionFactory(cast=world.home, past=True, clients=[{"name": contact.name, "contact": contact}])
    future = SessionFactory(cast=world.home, days_ahead=10, clients=[{"name": contact.name, "contact": contact}])
    other = SessionFactory(cast=world.home, clients=[{"name": "Someone Else"}])
    invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
    user = User.objects.get(email="jamie.rivera@example.com")
    assert set(Participant.objects.filter(client=user).values_list("session_id", flat=True)) == {past.pk, future.pk}
    assert not other.participants.filter(client=user).exists()


def test_an_existing_user_is_reused(world, contact):
    """A client of another practice (or a returning client) keeps their log-in and password."""
    elsewhere = UserFactory(email="jamie.rivera@example.com", first_name="Jay", last_name="R", time_zone="Asia/Tokyo")
    MembershipFactory(user=elsewhere, practice=PracticeFactory(), role=Role.CLIENT)
    membership = invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
    assert membership.user == elsewhere and membership.role == Role.CLIENT
    elsewhere.refresh_from_db()
    assert (elsewhere.first_name, elsewhere.time_zone) == ("Jay", "Asia/Tokyo") and elsewhere.check_password(PASSWORD)
    assert User.objects.filter(email__iexact=contact.email).count() == 1


def test_the_account_page_in_billing_offers_the_invitation(login, world, contact):
    team = login(world.home.staff)
    account = reverse("billing:client_account", args=["c", contact.pk])
    page = team.get(account).content.decode()
    assert "Not invited" in page and invite_url(contact) in page
    assert team.post(invite_url(contact), {"next": account})["Location"] == account
    assert mails().count() == 1
    page = team.get(account).content.decode()
    assert "Manage portal access" in page and reverse("sessions_app:contact_edit", args=[contact.pk]) in page


def test_a_client_account_page_leads_to_the_contact_page(login, world, contact):
    invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)
    user = User.objects.get(email="jamie.rivera@example.com")
    team = login(world.home.admin)
    page = team.get(reverse("billing:client_account", args=["u", user.pk])).content.decode()
    manage = reverse("invitations:client", args=[user.pk])
    assert "Manage portal access" in page and manage in page
    assert team.get(manage)["Location"] == reverse("sessions_app:contact_edit", args=[contact.pk])
    # A client with no contact the member may see: back to the contacts, with a message.
    response = team.get(reverse("invitations:client", args=[world.home.client.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("sessions_app:contacts")
    assert "None of your contacts is linked to this client account" in response.content.decode()
    # Not a client of this practice: 404.
    assert team.get(reverse("invitations:client", args=[world.outsider.client.pk])).status_code == 404
    assert team.get(reverse("invitations:client", args=[world.home.staff.pk])).status_code == 404


# --- refusals ---------------------------------------------------------------------------------------

def nothing_written(world, contact, users_before):
    contact.refresh_from_db()
    return (contact.client_id is None and not mails().exists() and User.objects.count() == users_before
            and not Membership.objects.filter(practice=world.home.practice, role=Role.CLIENT)
            .exclude(user=world.home.client).exists())


def test_a_contact_without_email_gets_a_plain_error_and_nothing_is_written(login, world):
    contact = ContactFactory(practice=world.home.practice, owner=world.home.practitioner, email="", invite_method="none")
    users = User.objects.count()
    team = login(world.home.practitioner)
    response = team.post(invite_url(contact), follow=True)
    assert response.status_code == 200
    assert "Add an e-mail address to this contact first" in response.content.decode()
    assert nothing_written(world, contact, users)
    with pytest.raises(invitations.DomainError):
        invitations.invite_to_portal(practice=world.home.practice, actor=world.home.practitioner, contact=contact)


@pytest.mark.parametrize("role", ["admin", "staff", "practitioner"])
def test_the_email_of_a_team_member_of_the_practice_is_refused(login, world, role):
    member_email = world.home.member(role).email.upper()
    contact = ContactFactory(practice=world.home.practice, owner=world.home.practitioner, email=member_email)
    users = User.objects.count()
    response = login(world.home.practitioner).post(invite_url(contact), follow=True)
    assert "belongs to a member of your practice" in response.content.decode()
    assert nothing_written(world, contact, users)
    assert Membership.objects.get(user=world.home.member(role), practice=world.home.practice).role == role


def test_a_former_team_member_is_refused_too(world):
    former = UserFactory(email="former@home.test")
    MembershipFactory(user=former, practice=world.home.practice, role=Role.PRACTITIONER, is_active=False)
    contact = ContactFactory(practice=world.home.practice, owner=world.home.practitioner, email="former@home.test")
    with pytest.raises(invitations.DomainError, match="team"):
        invitations.invite_to_portal(practice=world.home.practice, actor=world.home.admin, contact=contact)


def test_a_team_member_of_another_practice_may_be_a_client_here(world):
    contact = ContactFactory(practice=world.home.practice, owner=world.home.practitioner, email=world.outsider.practitioner.email)
    membership = invitations.invite_to_portal(practice=world.home.practice, actor=world.home.admin, contact=contact)
    assert membership.user == world.outsider.practitioner and membership.role == Role.CLIENT


def test_another_practices_contact_answers_404(login, world):
    theirs = world.outsider.contact
    for role in ("admin", "staff", "practitioner"):
        team = login(world.home.member(role))
        assert team.post(invite_url(theirs)).status_code == 404
        assert team.post(revoke_url(theirs)).status_code == 404
    assert not mails().exists() and Contact.objects.get(pk=theirs.pk).client_id is None


def test_another_practitioners_contact_answers_404(login, world):
    colleague = UserFactory()
    MembershipFactory(user=colleague, practice=world.home.practice, role=Role.PRACTITIONER)
    theirs = ContactFactory(practice=world.home.practice, owner=colleague)
    assert login(world.home.practitioner).post(invite_url(theirs)).status_code == 404
    assert login(world.home.staff).post(invite_url(theirs)).status_code == 302  # the office sees every contact
    assert mails().count() == 1


def test_clients_are_refused(login, world, contact):
    client = login(world.home.client)
    for url in (invite_url(contact), revoke_url(contact), invite_url(world.outsider.contact),
                reverse("invitations:client", args=[world.home.client.pk])):
        assert client.post(url).status_code == 403
    assert not mails().exists()


def test_the_buttons_are_post_only(login, world, contact):
    assert login(world.home.admin).get(invite_url(contact)).status_code == 405
    assert not mails().exists()


def test_the_domain_function_refuses_someone_outside_the_team(world, contact):
    with pytest.raises(invitations.NotAllowed):
        invitations.invite_to_portal(practice=world.home.practice, actor=world.home.client, contact=contact)
    with pytest.raises(invitations.NotAllowed):
        invitations.invite_to_portal(practice=world.home.practice, actor=world.outsider.admin, contact=contact)
    assert not mails().exists()


def test_revoking_a_contact_never_invited_is_a_plain_error(login, world, contact):
    response = login(world.home.practitioner).post(revoke_url(contact), follow=True)
    assert "no client portal access to revoke" in response.content.decode()
