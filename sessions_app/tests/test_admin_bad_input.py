"""Issue 12, items 15 and 17: Django admin answers bad input with a form error or a plain
page, never a 500, and a team member who is not an admin sees a plain 403."""
import pytest
from django.urls import reverse

from practice.models import Membership, Room, Service
from practice.tests.factories import MembershipFactory, UserFactory
from sessions_app.models import CompletionType

pytestmark = pytest.mark.django_db


def _add_form_data(client, url):
    """What the add page's form would post untouched: its initial values."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    return data


def _duplicate_cases(world):
    completion = CompletionType.objects.filter(practice=world.home.practice).first()
    newcomer = UserFactory()
    MembershipFactory(user=newcomer, practice=world.outsider.practice)  # a member elsewhere only
    return [
        ("admin:practice_service_add", Service, {"name": world.home.service.name, "cpt_code": "90837",
                                                 "price": "100", "duration_minutes": "50", "in_person": "on"}),
        ("admin:practice_room_add", Room, {"name": world.home.room.name}),
        ("admin:sessions_app_completiontype_add", CompletionType, {
            "label": completion.label, "map_status": completion.map_status, "client_modifier": "100",
            "practitioner_modifier": "100"}),
        ("admin:practice_membership_add", Membership, {"user": world.home.practitioner.pk, "role": "staff"}),
    ]


def test_admin_add_of_a_name_the_practice_already_has_is_a_form_error(login, world):
    client = login(world.home.admin)
    for url_name, model, change in _duplicate_cases(world):
        url = reverse(url_name)
        data = {**_add_form_data(client, url), **change}
        before = model.objects.count()
        response = client.post(url, data)
        assert response.status_code == 200, (url_name, response.status_code)
        errors = response.context["adminform"].form.errors.as_text()
        assert "already exists" in errors, (url_name, errors)
        assert model.objects.count() == before, url_name


def test_admin_add_of_a_name_another_practice_has_is_saved(login, world):
    client = login(world.home.admin)
    url = reverse("admin:practice_room_add")
    data = {**_add_form_data(client, url), "name": world.outsider.room.name}
    assert client.post(url, data).status_code == 302
    assert Room.objects.filter(practice=world.home.practice, name=world.outsider.room.name).exists()


CHANGELISTS = [
    "admin:practice_service_changelist", "admin:practice_room_changelist", "admin:practice_membership_changelist",
    "admin:practice_practitionerwage_changelist", "admin:practice_practice_changelist",
    "admin:practice_accesslogentry_changelist",
    "admin:sessions_app_completiontype_changelist", "admin:sessions_app_contact_changelist",
    "admin:sessions_app_session_changelist", "admin:billing_ledgerentry_changelist",
]
BAD_FILTERS = [
    {"start__year": "99999"}, {"start__year": "9999"}, {"start__year": "9999", "start__month": "12"},
    {"start__year": "9999", "start__month": "12", "start__day": "31"},
    {"created_at__year": "9999"}, {"created_at__year": "99999"}, {"created_at__year": "2030", "created_at__month": "13"},
    {"id": "99999999999999999999"}, {"id__gte": "-99999999999999999999"}, {"pk": "abc"},
    {"is_active__exact": "maybe"}, {"q": "x" * 5000}, {"o": "99"}, {"p": "-1"}, {"p": "99999999999999999999"},
    {"practice__id__exact": str(10**20)}, {"role__exact": "\x01"}, {"start__gte": "9999-12-31 23:59:59"},
    {"start__year": "a\x00"},
]


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_admin_changelists_answer_odd_filters_with_a_plain_page(login, world, url_name):
    client = login(world.home.admin)
    url = reverse(url_name)
    assert client.get(url).status_code == 200
    for params in BAD_FILTERS:
        response = client.get(url, params, follow=True)
        assert response.status_code in (200, 400), (params, response.status_code)


@pytest.mark.parametrize("role", ["staff", "practitioner", "client"])
def test_a_member_who_is_not_an_admin_sees_a_plain_403_at_admin(login, world, role):
    client = login(world.home.member(role))
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) <= 1
    assert "can't open this page" in response.content.decode()
    assert client.get("/admin/login/").status_code == 403
    assert client.get(reverse("admin:practice_service_changelist"), follow=True).status_code == 403


def test_anonymous_visitors_of_admin_go_to_the_login_page(client, world):
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
