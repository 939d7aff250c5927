"""Feed tokens are stored as their SHA-256 only (issue 12, item 10): the link is shown once, when it is
made or reset; old links keep working after the migration; the access log never holds a token."""
import importlib
import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from practice.models import AccessLogEntry, Membership
from sessions_app import ical

pytestmark = pytest.mark.django_db

LINK = re.compile(r'value="http://testserver/feeds/([^"]+)\.ics"')


def shown_token(response):
    found = LINK.search(response.content.decode())
    return found and found.group(1)


def stored(user):
    return Membership.objects.get(user=user).feed_token_hash


def test_only_the_hash_is_stored_and_the_link_is_shown_once(login, world):
    client = login(world.home.practitioner)
    first = client.get(reverse("sessions_app:feed_settings"))
    token = shown_token(first)
    assert token and len(token) >= 43
    assert stored(world.home.practitioner) == ical.hash_feed_token(token) != token
    assert not Membership.objects.filter(feed_token_hash__contains=token).exists()
    assert Client().get(reverse("sessions_app:calendar_feed", args=[token])).status_code == 200

    again = client.get(reverse("sessions_app:feed_settings"))
    assert again.status_code == 200 and shown_token(again) is None
    assert token not in again.content.decode()
    assert "cannot be shown again" in again.content.decode()
    assert reverse("sessions_app:feed_reset") in again.content.decode()
    assert Client().get(reverse("sessions_app:calendar_feed", args=[token])).status_code == 200  # still works


def test_a_new_link_is_shown_once_after_the_reset(login, world):
    client = login(world.home.practitioner)
    old = shown_token(client.get(reverse("sessions_app:feed_settings")))
    response = client.post(reverse("sessions_app:feed_reset"), follow=True)
    new = shown_token(response)
    assert new and new != old
    assert stored(world.home.practitioner) == ical.hash_feed_token(new)
    assert Client().get(reverse("sessions_app:calendar_feed", args=[old])).status_code == 404
    assert Client().get(reverse("sessions_app:calendar_feed", args=[new])).status_code == 200
    assert shown_token(client.get(reverse("sessions_app:feed_settings"))) is None
    # The session no longer holds it either.
    assert "feed_token_to_show" not in client.session


def test_the_migration_hashes_tokens_stored_as_issued_and_old_links_keep_working(world):
    raw = ical.new_feed_token()
    member = Membership.objects.get(user=world.home.practitioner)
    Membership.objects.filter(pk=member.pk).update(feed_token_hash=raw)  # as the old code stored it
    migration = importlib.import_module("practice.migrations.0007_feed_token_hash")
    migration.hash_tokens(apps, None)
    assert stored(world.home.practitioner) == ical.hash_feed_token(raw)
    assert Client().get(reverse("sessions_app:calendar_feed", args=[raw])).status_code == 200


def test_the_access_log_holds_no_feed_token(login, world):
    client = login(world.home.practitioner)
    token = shown_token(client.get(reverse("sessions_app:feed_settings")))
    Client().get(reverse("sessions_app:calendar_feed", args=[token]))
    assert not AccessLogEntry.objects.filter(description__contains=token[:8]).exists()
    assert not AccessLogEntry.objects.filter(object_id__contains=token[:8]).exists()
