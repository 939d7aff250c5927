"""Online booking settings, who offers a service, and a service's Booking Page Form (issue 13):
admins only, plain form errors, nothing written on a refusal, and a service offered only by
practitioners of its own practice."""
import pytest
from django.urls import reverse

from practice.models import BookingQuestion, Practice, Service
from practice.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

GOOD_SETTINGS = {
    "booking_min_notice_hours": "12", "booking_horizon_days": "90", "booking_buffer_before_minutes": "10",
    "booking_buffer_after_minutes": "15", "booking_slot_step_minutes": "15",
}  # booking_requires_confirmation unticked


def booking_fields(practice):
    return {name: getattr(practice, name) for name in [*GOOD_SETTINGS, "booking_requires_confirmation"]}


# --- booking settings ----------------------------------------------------------------------------------

def test_the_settings_page_shows_the_online_booking_section(login, world):
    page = login(world.home.admin).get(reverse("practice_settings")).content.decode()
    assert "Online booking" in page and reverse("booking_settings") in page
    assert "24 hours" in page and "60 days ahead" in page and "every" in page


def test_an_admin_saves_the_booking_settings(login, world):
    client = login(world.home.admin)
    assert client.get(reverse("booking_settings")).status_code == 200
    response = client.post(reverse("booking_settings"), GOOD_SETTINGS)
    assert response.status_code == 302 and response["Location"] == reverse("practice_settings")
    practice = Practice.objects.get(pk=world.home.practice.pk)
    assert booking_fields(practice) == {
        "booking_min_notice_hours": 12, "booking_horizon_days": 90, "booking_buffer_before_minutes": 10,
        "booking_buffer_after_minutes": 15, "booking_slot_step_minutes": 15, "booking_requires_confirmation": False}
    assert practice.name == "Home Practice"
    page = client.get(reverse("practice_settings")).content.decode()
    assert "12 hours" in page and "90 days ahead" in page and "10 / 15 min" in page


def test_a_save_changes_only_the_booking_settings(login, world):
    """The form saves its six fields only: a change made meanwhile elsewhere (here the name) stays."""
    client = login(world.home.admin)
    Practice.objects.filter(pk=world.home.practice.pk).update(name="Renamed meanwhile")
    client.post(reverse("booking_settings"), GOOD_SETTINGS)
    assert Practice.objects.get(pk=world.home.practice.pk).name == "Renamed meanwhile"


@pytest.mark.parametrize("field, value, message", [
    ("booking_min_notice_hours", "-1", "Enter a whole number of hours from 0 to 2160."),
    ("booking_min_notice_hours", "2161", "Enter a whole number of hours from 0 to 2160."),
    ("booking_min_notice_hours", "99999999999999999999999", "Enter a whole number of hours from 0 to 2160."),
    ("booking_min_notice_hours", "1.5", "Enter a whole number of hours from 0 to 2160."),
    ("booking_min_notice_hours", "", "This field is required."),
    ("booking_horizon_days", "0", "Enter a whole number of days from 1 to 730."),
    ("booking_horizon_days", "731", "Enter a whole number of days from 1 to 730."),
    ("booking_horizon_days", "abc", "Enter a whole number of days from 1 to 730."),
    ("booking_buffer_before_minutes", "-5", "Enter a whole number of minutes from 0 to 240."),
    ("booking_buffer_before_minutes", "241", "Enter a whole number of minutes from 0 to 240."),
    ("booking_buffer_after_minutes", "-1", "Enter a whole number of minutes from 0 to 240."),
    ("booking_buffer_after_minutes", "100000", "Enter a whole number of minutes from 0 to 240."),
    ("booking_slot_step_minutes", "7", "Select a valid choice."),
    ("booking_slot_step_minutes", "", "This field is required."),
])
def test_bad_booking_settings_get_a_plain_error_and_write_nothing(login, world, field, value, message):
    before = booking_fields(Practice.objects.get(pk=world.home.practice.pk))
    response = login(world.home.admin).post(reverse("booking_settings"), {**GOOD_SETTINGS, field: value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert booking_fields(Practice.objects.get(pk=world.home.practice.pk)) == before
    # The refused value does not leak into the rest of the page (the menu, the practice's name).
    assert response.context["current_practice"].booking_horizon_days == before["booking_horizon_days"]


def test_the_bounds_themselves_are_accepted(login, world):
    data = {"booking_min_notice_hours": "2160", "booking_horizon_days": "730", "booking_buffer_before_minutes": "240",
            "booking_buffer_after_minutes": "0", "booking_slot_step_minutes": "60", "booking_requires_confirmation": "on"}
    assert login(world.home.admin).post(reverse("booking_settings"), data).status_code == 302
    practice = Practice.objects.get(pk=world.home.practice.pk)
    assert (practice.booking_min_notice_hours, practice.booking_horizon_days, practice.booking_requires_confirmation) == (2160, 730, True)


@pytest.mark.parametrize("role", ["staff", "practitioner", "client"])
def test_only_admins_change_booking_settings(login, world, role):
    client = login(world.home.member(role))
    assert client.get(reverse("booking_settings")).status_code == 403
    assert client.post(reverse("booking_settings"), GOOD_SETTINGS).status_code == 403
    assert Practice.objects.get(pk=world.home.practice.pk).booking_horizon_days == 60


def test_an_admin_changes_only_their_own_practice(login, world):
    login(world.home.admin).post(reverse("booking_settings"), GOOD_SETTINGS)
    assert Practice.objects.get(pk=world.outsider.practice.pk).booking_horizon_days == 60


# --- who offers a service ------------------------------------------------------------------------------

def service_data(service, **change):
    data = {
        "cpt_code": service.cpt_code, "name": service.name, "price": str(service.price),
        "duration_minutes": str(service.duration_minutes), "in_person": "on", "video": "on",
        "wage_kind": "percent", "wage_amount": "60", "is_active": "on",
    }
    data.update(change)
    return {key: value for key, value in data.items() if value is not None}


def questions(*rows, initial=0):
    data = {"booking_questions-TOTAL_FORMS": str(len(rows)), "booking_questions-INITIAL_FORMS": str(initial),
            "booking_questions-MIN_NUM_FORMS": "0", "booking_questions-MAX_NUM_FORMS": "30"}
    for index, row in enumerate(rows):
        for field, value in row.items():
            data[f"booking_questions-{index}-{field}"] = value
    return data


def test_the_service_form_offers_the_practices_practitioners_only(login, world):
    response = login(world.home.admin).get(reverse("service_edit", args=[world.home.service.pk]))
    offered = set(response.context["form"].fields["practitioners"].queryset)
    assert offered == {world.home.practitioner, world.home.admin}
    page = response.content.decode()
    assert "Offered by" in page and str(world.home.practitioner) in page and str(world.outsider.practitioner) not in page


def test_a_bookable_service_with_its_practitioners(login, world):
    client = login(world.home.admin)
    service = world.home.service
    data = service_data(service, bookable_online="on", practitioners=[world.home.practitioner.pk, world.home.admin.pk])
    response = client.post(reverse("service_edit", args=[service.pk]), data)
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.bookable_online
    assert set(service.practitioners.all()) == {world.home.practitioner, world.home.admin}
    page = client.get(reverse("practice_settings")).content.decode()
    assert "Offered by" in page and "Bookable online" in page and str(world.home.practitioner) in page


@pytest.mark.parametrize("who", ["outsider_practitioner", "home_client", "home_staff", "nobody", "not_a_number"])
def test_only_the_practices_practitioners_may_offer_it(login, world, who):
    pk = {"outsider_practitioner": world.outsider.practitioner.pk, "home_client": world.home.client.pk,
          "home_staff": world.home.staff.pk, "nobody": 987654321, "not_a_number": "x"}[who]
    service = world.home.service
    service.practitioners.add(world.home.admin)
    response = login(world.home.admin).post(reverse("service_edit", args=[service.pk]), service_data(
        service, name="Renamed", practitioners=[world.home.practitioner.pk, pk]))
    assert response.status_code == 200
    assert "Choose only practitioners of this practice." in response.context["form"].errors["practitioners"]
    service.refresh_from_db()
    assert service.name != "Renamed" and list(service.practitioners.all()) == [world.home.admin]


@pytest.mark.parametrize("change, field, message", [
    ({"bookable_online": "on"}, "practitioners", "needs at least one practitioner who offers it"),
    ({"bookable_online": "on", "is_active": None, "practitioners": "PRACTITIONER"}, "bookable_online",
     "An inactive service cannot be booked online"),
])
def test_a_bookable_service_needs_a_practitioner_and_must_be_active(login, world, change, field, message):
    service = world.home.service
    if change.get("practitioners") == "PRACTITIONER":
        change = {**change, "practitioners": [world.home.practitioner.pk]}
    response = login(world.home.admin).post(reverse("service_edit", args=[service.pk]), service_data(service, **change))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    service.refresh_from_db()
    assert not service.bookable_online and service.is_active and not service.practitioners.exists()


def test_a_service_not_bookable_online_needs_no_practitioner(login, world):
    response = login(world.home.admin).post(reverse("service_add"), service_data(ServiceFactory.build(name="Intake"), is_active=None))
    assert response.status_code == 302
    assert Service.objects.get(name="Intake", practice=world.home.practice).practitioners.count() == 0


# --- the Booking Page Form ------------------------------------------------------------------------------

def test_an_admin_adds_questions_to_a_service(login, world):
    service = world.home.service
    data = {**service_data(service), **questions(
        {"label": "What brings you here?", "kind": "long_text", "position": "1"},
        {"label": "Preferred pronouns", "kind": "choice", "choices": "she/her\n  he/him \n\nthey/them\n", "position": "2",
         "required": "on"},
        {"label": "", "kind": "short_text", "position": ""},  # the empty row
    )}
    response = login(world.home.admin).post(reverse("service_edit", args=[service.pk]), data)
    assert response.status_code == 302
    rows = list(service.booking_questions.values_list("label", "kind", "choices", "required", "position"))
    assert rows == [("What brings you here?", "long_text", "", False, 1),
                    ("Preferred pronouns", "choice", "she/her\nhe/him\nthey/them", True, 2)]


def test_a_new_service_is_saved_with_its_questions(login, world):
    data = {**service_data(ServiceFactory.build(name="Couples")), **questions({"label": "Partner's name", "kind": "short_text"})}
    assert login(world.home.admin).post(reverse("service_add"), data).status_code == 302
    service = Service.objects.get(name="Couples", practice=world.home.practice)
    assert [q.label for q in service.booking_questions.all()] == ["Partner's name"]


def test_the_service_page_shows_and_removes_questions(login, world):
    service = world.home.service
    kept = BookingQuestion.objects.create(service=service, label="First visit?", kind="yes_no", position=1)
    gone = BookingQuestion.objects.create(service=service, label="Referred by", kind="short_text", position=2)
    client = login(world.home.admin)
    page = client.get(reverse("service_edit", args=[service.pk])).content.decode()
    assert "Booking Page Form" in page and "First visit?" in page and "Referred by" in page
    data = {**service_data(service), **questions(
        {"id": kept.pk, "label": "First visit here?", "kind": "yes_no", "position": "1"},
        {"id": gone.pk, "label": "Referred by", "kind": "short_text", "position": "2", "DELETE": "on"}, initial=2)}
    assert client.post(reverse("service_edit", args=[service.pk]), data).status_code == 302
    assert list(service.booking_questions.values_list("label", flat=True)) == ["First visit here?"]


@pytest.mark.parametrize("row, message", [
    ({"label": "Pick one", "kind": "choice", "choices": "Only one"}, "at least two options"),
    ({"label": "Pick one", "kind": "choice", "choices": "\n  \n"}, "at least two options"),
    ({"label": "Pick one", "kind": "choice", "choices": "Same\nsame"}, "only once"),
    ({"label": "Pick one", "kind": "choice", "choices": "\n".join(f"Option {n}" for n in range(31))}, "at most 30 options"),
    ({"label": "Pick one", "kind": "choice", "choices": "Short\n" + "x" * 201}, "at most 200 characters"),
    ({"label": "x" * 201, "kind": "short_text"}, "at most 200 characters"),
    ({"label": "", "kind": "short_text", "required": "on"}, "This field is required."),
    ({"label": "Why?", "kind": "essay"}, "Select a valid choice."),
    ({"label": "Why?", "kind": "short_text", "position": "-1"}, "Enter an order number from 0 to 999."),
    ({"label": "Why?", "kind": "short_text", "position": "100000"}, "Enter an order number from 0 to 999."),
])
def test_bad_questions_get_a_plain_error_and_write_nothing(login, world, row, message):
    service = world.home.service
    data = {**service_data(service, name="Renamed", bookable_online="on", practitioners=[world.home.practitioner.pk]),
            **questions(row)}
    response = login(world.home.admin).post(reverse("service_edit", args=[service.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    service.refresh_from_db()
    assert service.name != "Renamed" and not service.bookable_online and not service.practitioners.exists()
    assert not BookingQuestion.objects.exists()


def test_too_many_questions_are_refused(login, world):
    rows = [{"label": f"Question {n}", "kind": "short_text"} for n in range(31)]
    response = login(world.home.admin).post(reverse("service_edit", args=[world.home.service.pk]),
                                            {**service_data(world.home.service), **questions(*rows)})
    assert response.status_code == 200
    assert "at most 30 questions" in response.content.decode()
    assert not BookingQuestion.objects.exists()


def test_another_services_question_cannot_be_edited_through_this_one(login, world):
    theirs = BookingQuestion.objects.create(service=world.outsider.service, label="Theirs", kind="short_text")
    data = {**service_data(world.home.service), **questions({"id": theirs.pk, "label": "Mine now", "kind": "short_text"},
                                                            initial=1)}
    response = login(world.home.admin).post(reverse("service_edit", args=[world.home.service.pk]), data)
    assert response.status_code < 500  # Django's formset skips an id it does not hold
    theirs.refresh_from_db()
    assert theirs.label == "Theirs" and theirs.service == world.outsider.service
    assert list(BookingQuestion.objects.all()) == [theirs]


def test_a_post_without_the_questions_leaves_them(login, world):
    service = world.home.service
    BookingQuestion.objects.create(service=service, label="Kept", kind="short_text")
    assert login(world.home.admin).post(reverse("service_edit", args=[service.pk]), service_data(service)).status_code == 302
    assert list(service.booking_questions.values_list("label", flat=True)) == ["Kept"]


# --- Django admin ----------------------------------------------------------------------------------------

def admin_service_data(service, rows=(), **change):
    data = {
        "cpt_code": service.cpt_code, "name": service.name, "price": str(service.price),
        "duration_minutes": str(service.duration_minutes), "in_person": "on", "video": "on",
        "wage_kind": "percent", "wage_amount": "60", "is_active": "on",
        "booking_questions-TOTAL_FORMS": str(len(rows)), "booking_questions-INITIAL_FORMS": "0",
        "booking_questions-MIN_NUM_FORMS": "0", "booking_questions-MAX_NUM_FORMS": "30",
    }
    for index, row in enumerate(rows):
        for field, value in row.items():
            data[f"booking_questions-{index}-{field}"] = value
    data.update(change)
    return {key: value for key, value in data.items() if value is not None}


def test_django_admin_edits_the_questions_as_an_inline(login, world):
    service = world.home.service
    client = login(world.home.admin)
    url = reverse("admin:practice_service_change", args=[service.pk])
    page = client.get(url)
    assert page.status_code == 200 and "booking_questions-TOTAL_FORMS" in page.content.decode()
    offered = set(page.context["adminform"].form.fields["practitioners"].queryset)
    assert offered == {world.home.practitioner, world.home.admin}
    response = client.post(url, admin_service_data(service, [
        {"label": "Pick one", "kind": "choice", "choices": "A", "position": "0", "is_active": "on"}]))
    assert response.status_code == 200 and "at least two options" in response.content.decode()
    assert not BookingQuestion.objects.exists()
    response = client.post(url, admin_service_data(service, [
        {"label": "Pick one", "kind": "choice", "choices": "A\nB", "position": "0", "is_active": "on"}]))
    assert response.status_code == 302
    assert [q.options for q in service.booking_questions.all()] == [["A", "B"]]


def test_django_admin_keeps_the_offering_rules(login, world):
    service = world.home.service
    client = login(world.home.admin)
    url = reverse("admin:practice_service_change", args=[service.pk])
    response = client.post(url, admin_service_data(service, practitioners=[world.outsider.practitioner.pk]))
    assert response.status_code == 200 and not service.practitioners.exists()
    response = client.post(url, admin_service_data(service, bookable_online="on"))
    assert response.status_code == 200 and "needs at least one practitioner" in response.content.decode()
    service.refresh_from_db()
    assert not service.bookable_online
