"""Weekly hours and days off (issue 13): a practitioner edits their own, admins and staff anyone's
in their practice, clients none, another practice's ids answer 404; every refusal is a plain form
error and writes nothing; a save replaces the practitioner's set in one transaction."""
from datetime import date, time

import pytest
from django.urls import reverse

from practice.models import DayOff, WeeklyHours
from practice.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, WEDNESDAY = 0, 1, 2


def week(days=None, *, initial=None):
    """POST data of the week form: ``days`` maps a weekday to its rows (dicts of the row's fields;
    ``DELETE`` ticks Remove). ``initial`` maps a weekday to the number of rows the page showed as saved."""
    days, initial = days or {}, initial or {}
    data = {}
    for day in range(7):
        rows = days.get(day, [])
        data[f"day{day}-TOTAL_FORMS"] = str(len(rows))
        data[f"day{day}-INITIAL_FORMS"] = str(initial.get(day, 0))
        data[f"day{day}-MIN_NUM_FORMS"] = "0"
        data[f"day{day}-MAX_NUM_FORMS"] = "12"
        for index, row in enumerate(rows):
            for field, value in row.items():
                data[f"day{day}-{index}-{field}"] = value
    return data


def hours(start, end, **extra):
    return {"start_time": start, "end_time": end, **extra}


def saved(user, practice):
    return sorted((h.weekday, h.start_time, h.end_time, h.valid_from, h.valid_until)
                  for h in WeeklyHours.objects.filter(practitioner=user, practice=practice))


def give_hours(cast, user=None, weekday=MONDAY, start=time(9), end=time(17), **extra):
    return WeeklyHours.objects.create(practice=cast.practice, practitioner=user or cast.practitioner, weekday=weekday,
                                      start_time=start, end_time=end, **extra)


# --- the page --------------------------------------------------------------------------------------

def test_a_practitioner_sees_their_own_week_in_their_zone(login, world):
    give_hours(world.home, start=time(9, 30), end=time(12))
    response = login(world.home.practitioner).get(reverse("availability"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Times are in <strong>America/New_York</strong> (your time zone)" in page
    assert 'value="09:30"' in page and 'value="12:00"' in page
    assert "Monday" in page and "Sunday" in page
    assert reverse("availability") in page  # the menu item
    assert 'src="/static/js/availability.js"' in page


def test_the_page_works_without_script_an_empty_row_on_every_day(login, world):
    give_hours(world.home)
    page = login(world.home.practitioner).get(reverse("availability")).content.decode()
    # Monday: its saved range, then an empty one; every other day: one empty row.
    assert 'name="day0-0-start_time"' in page and 'name="day0-1-start_time"' in page
    assert all(f'name="day{day}-0-start_time"' in page for day in range(1, 7))
    assert 'name="day0-TOTAL_FORMS" value="2"' in page


def test_a_practitioner_saves_several_ranges_a_day_with_dates(login, world):
    client = login(world.home.practitioner)
    data = week({
        MONDAY: [hours("09:00", "12:00"), hours("13:00", "17:30")],
        WEDNESDAY: [hours("08:00", "10:00", valid_from="2030-01-01", valid_until="2030-03-31"),
                    hours("08:00", "10:00", valid_from="2030-04-01")],
        TUESDAY: [hours("", "")],  # the empty row is ignored
    })
    response = client.post(reverse("availability"), data)
    assert response.status_code == 302 and response["Location"] == reverse("availability")
    assert saved(world.home.practitioner, world.home.practice) == [
        (MONDAY, time(9), time(12), None, None),
        (MONDAY, time(13), time(17, 30), None, None),
        (WEDNESDAY, time(8), time(10), date(2030, 1, 1), date(2030, 3, 31)),
        (WEDNESDAY, time(8), time(10), date(2030, 4, 1), None),
    ]


def test_ranges_that_touch_do_not_overlap(login, world):
    response = login(world.home.practitioner).post(
        reverse("availability"), week({MONDAY: [hours("12:00", "17:00"), hours("09:00", "12:00")]}))
    assert response.status_code == 302
    assert len(saved(world.home.practitioner, world.home.practice)) == 2


def test_a_save_replaces_the_set_and_remove_drops_a_range(login, world):
    give_hours(world.home, weekday=MONDAY)
    give_hours(world.home, weekday=TUESDAY)
    data = week({MONDAY: [hours("09:00", "17:00", DELETE="on")], TUESDAY: [hours("10:00", "16:00")]},
                initial={MONDAY: 1, TUESDAY: 1})
    assert login(world.home.practitioner).post(reverse("availability"), data).status_code == 302
    assert saved(world.home.practitioner, world.home.practice) == [(TUESDAY, time(10), time(16), None, None)]


def test_a_save_touches_no_one_else_and_no_other_practice(login, world):
    mine_elsewhere = give_hours(world.outsider, user=world.home.practitioner)
    admins = give_hours(world.home, user=world.home.admin)
    login(world.home.practitioner).post(reverse("availability"), week({MONDAY: [hours("10:00", "11:00")]}))
    assert WeeklyHours.objects.filter(pk__in=[mine_elsewhere.pk, admins.pk]).count() == 2
    assert saved(world.home.practitioner, world.home.practice) == [(MONDAY, time(10), time(11), None, None)]


# --- refusals: a plain message, nothing written ----------------------------------------------------

@pytest.mark.parametrize("rows, message", [
    ({MONDAY: [hours("12:00", "09:00")]}, "“To” must be later than “From”"),
    ({MONDAY: [hours("09:00", "09:00")]}, "“To” must be later than “From”"),
    ({MONDAY: [hours("09:00", "")]}, "Enter the “To” time."),
    ({MONDAY: [hours("", "10:00")]}, "Enter the “From” time."),
    ({MONDAY: [hours("25:00", "26:00")]}, "Enter the “From” time like 09:30."),
    ({MONDAY: [hours("nine", "ten")]}, "Enter the “To” time like 17:00."),
    ({MONDAY: [hours("09:00:30", "10:00")]}, "Use whole minutes for “From”"),
    ({MONDAY: [hours("09:00", "12:00"), hours("11:00", "14:00")]}, "09:00–12:00 overlaps 11:00–14:00"),
    ({MONDAY: [hours("09:00", "17:00"), hours("10:00", "11:00")]}, "Ranges on the same day must not overlap"),
    ({MONDAY: [hours("09:00", "12:00", valid_from="2030-01-01", valid_until="2030-06-30"),
               hours("11:00", "13:00", valid_from="2030-06-30")]}, "must not overlap"),
    ({MONDAY: [hours("09:00", "12:00", valid_from="2030-03-01", valid_until="2030-02-01")]},
     "“Until” must be on or after “Starting”"),
    ({MONDAY: [hours("09:00", "12:00", valid_from="1899-12-31")]}, "“Starting” must be in the years 1900 to 2999."),
    ({MONDAY: [hours("09:00", "12:00", valid_until="3000-01-01")]}, "“Until” must be in the years 1900 to 2999."),
    ({MONDAY: [hours("09:00", "12:00", valid_until="2030-02-30")]}, "“Until” is not a valid date."),
    ({MONDAY: [hours(f"{h:02d}:00", f"{h:02d}:30") for h in range(13)]}, "at most 12 ranges"),
    # One good day and one bad: the good one is not saved either.
    ({TUESDAY: [hours("10:00", "11:00")], WEDNESDAY: [hours("11:00", "10:00")]}, "“To” must be later than “From”"),
])
def test_bad_ranges_get_a_plain_error_and_write_nothing(login, world, rows, message):
    give_hours(world.home, weekday=4)
    before = saved(world.home.practitioner, world.home.practice)
    response = login(world.home.practitioner).post(reverse("availability"), week(rows))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert saved(world.home.practitioner, world.home.practice) == before


def test_ranges_on_the_same_day_may_overlap_in_time_when_their_dates_do_not(login, world):
    data = week({MONDAY: [hours("09:00", "12:00", valid_until="2030-06-29"), hours("10:00", "13:00", valid_from="2030-06-30")]})
    assert login(world.home.practitioner).post(reverse("availability"), data).status_code == 302
    assert len(saved(world.home.practitioner, world.home.practice)) == 2


def test_the_same_times_on_different_days_are_fine(login, world):
    data = week({day: [hours("09:00", "17:00")] for day in range(7)})
    assert login(world.home.practitioner).post(reverse("availability"), data).status_code == 302
    assert len(saved(world.home.practitioner, world.home.practice)) == 7


def test_a_tampered_management_form_writes_nothing(login, world):
    give_hours(world.home)
    data = week({MONDAY: [hours("10:00", "11:00")]})
    del data["day3-TOTAL_FORMS"]
    response = login(world.home.practitioner).post(reverse("availability"), data)
    assert response.status_code == 200
    assert saved(world.home.practitioner, world.home.practice) == [(MONDAY, time(9), time(17), None, None)]


def test_a_failure_while_writing_leaves_the_old_set(login, world, monkeypatch):
    """The delete and the inserts are one transaction: if the inserts fail, the old hours stay."""
    give_hours(world.home)
    client = login(world.home.practitioner)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(WeeklyHours.objects, "bulk_create", broken)
    client.raise_request_exception = False
    response = client.post(reverse("availability"), week({MONDAY: [hours("10:00", "11:00")]}))
    assert response.status_code == 500
    assert saved(world.home.practitioner, world.home.practice) == [(MONDAY, time(9), time(17), None, None)]


# --- who may edit whose ------------------------------------------------------------------------------

def test_an_admin_edits_any_practitioner_and_sees_their_zone(login, world):
    world.home.practitioner.time_zone = "Europe/London"
    world.home.practitioner.save()
    client = login(world.home.admin)
    url = reverse("availability_for", args=[world.home.practitioner.pk])
    page = client.get(url).content.decode()
    assert f"Times are in <strong>Europe/London</strong> ({world.home.practitioner}’s time zone)" in page
    assert 'id="pick-practitioner"' in page
    response = client.post(url, week({MONDAY: [hours("08:00", "09:00")]}))
    assert response.status_code == 302 and response["Location"] == url
    assert saved(world.home.practitioner, world.home.practice) == [(MONDAY, time(8), time(9), None, None)]
    # The admin hosts too: their own page is their own week.
    assert "(your time zone)" in client.get(reverse("availability")).content.decode()


def test_the_picker_goes_to_the_chosen_practitioner(login, world):
    client = login(world.home.admin)
    response = client.get(reverse("availability"), {"practitioner": world.home.practitioner.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("availability_for", args=[world.home.practitioner.pk])
    # One's own id is one's own page.
    assert client.get(reverse("availability_for", args=[world.home.admin.pk]))["Location"] == reverse("availability")


def test_staff_start_with_the_first_practitioner_and_may_edit(login, world):
    client = login(world.home.staff)
    response = client.get(reverse("availability"))
    assert response.status_code == 302
    first = min([world.home.admin, world.home.practitioner], key=lambda u: (u.first_name, u.last_name, u.email))
    assert response["Location"] == reverse("availability_for", args=[first.pk])
    url = reverse("availability_for", args=[world.home.practitioner.pk])
    assert client.post(url, week({MONDAY: [hours("08:00", "09:00")]})).status_code == 302
    assert len(saved(world.home.practitioner, world.home.practice)) == 1


def test_a_practitioner_edits_only_their_own(login, world):
    other = UserFactory(email="second@home.test")
    world.home.practice.memberships.create(user=other, role="practitioner")
    give_hours(world.home, user=other)
    client = login(world.home.practitioner)
    url = reverse("availability_for", args=[other.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, week({MONDAY: [hours("10:00", "11:00")]})).status_code == 403
    assert client.get(reverse("availability"), {"practitioner": other.pk}).status_code == 403
    assert saved(other, world.home.practice) == [(MONDAY, time(9), time(17), None, None)]
    assert 'id="pick-practitioner"' not in client.get(reverse("availability")).content.decode()


@pytest.mark.parametrize("role", ["admin", "staff", "practitioner"])
def test_another_practices_practitioner_answers_404(login, world, role):
    client = login(world.home.member(role))
    for person in (world.outsider.practitioner, world.outsider.admin):
        url = reverse("availability_for", args=[person.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, week({MONDAY: [hours("10:00", "11:00")]})).status_code == 404
        assert client.get(reverse("availability"), {"practitioner": person.pk}).status_code == 404
    assert client.get(reverse("availability"), {"practitioner": "abc"}).status_code == 404
    assert not WeeklyHours.objects.exists()


def test_a_member_who_hosts_nothing_has_no_availability_page(login, world):
    client = login(world.home.admin)
    for person in (world.home.client, world.home.staff):
        assert client.get(reverse("availability_for", args=[person.pk])).status_code == 404


def test_clients_may_not(login, world):
    client = login(world.home.client)
    assert client.get(reverse("availability")).status_code == 403
    assert client.get(reverse("availability_for", args=[world.home.practitioner.pk])).status_code == 403
    assert client.post(reverse("availability"), week({MONDAY: [hours("10:00", "11:00")]})).status_code == 403
    assert 'href="/settings/availability/"' not in client.get(reverse("portal:home")).content.decode()
    assert not WeeklyHours.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(reverse("availability"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- days off ------------------------------------------------------------------------------------------

def day_off(first, last, note=""):
    return {"day_off-first_day": first, "day_off-last_day": last, "day_off-note": note}


def test_a_practitioner_adds_and_removes_days_off(login, world):
    client = login(world.home.practitioner)
    url = reverse("day_off_add", args=[world.home.practitioner.pk])
    response = client.post(url, day_off("2030-07-01", "2030-07-14", "Vacation"))
    assert response.status_code == 302 and response["Location"] == reverse("availability")
    assert client.post(url, day_off("2030-12-25", "2030-12-25")).status_code == 302
    rows = DayOff.objects.filter(practitioner=world.home.practitioner, practice=world.home.practice)
    assert sorted((d.first_day, d.last_day, d.note) for d in rows) == [
        (date(2030, 7, 1), date(2030, 7, 14), "Vacation"), (date(2030, 12, 25), date(2030, 12, 25), "")]
    page = client.get(reverse("availability")).content.decode()
    assert "Mon, Jul 1, 2030 – Sun, Jul 14, 2030" in page and "Vacation" in page
    vacation = rows.get(note="Vacation")
    response = client.post(reverse("day_off_delete", args=[vacation.pk]))
    assert response.status_code == 302
    assert not DayOff.objects.filter(pk=vacation.pk).exists()


@pytest.mark.parametrize("data, message", [
    (day_off("2030-07-14", "2030-07-01"), "The last day must be on or after the first day."),
    (day_off("", "2030-07-01"), "This field is required."),
    (day_off("2030-07-01", ""), "This field is required."),
    (day_off("1899-12-31", "1900-01-02"), "The first day must be in the years 1900 to 2999."),
    (day_off("2999-12-31", "3000-01-01"), "The last day must be in the years 1900 to 2999."),
    (day_off("2030-13-01", "2030-13-02"), "Enter a valid date."),
    (day_off("2030-07-01", "2030-07-02", "x" * 121), "at most 120 characters"),
])
def test_bad_days_off_get_a_plain_error_and_write_nothing(login, world, data, message):
    response = login(world.home.practitioner).post(reverse("day_off_add", args=[world.home.practitioner.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DayOff.objects.exists()


def test_days_off_follow_the_same_access_rules(login, world):
    admins = DayOff.objects.create(practice=world.home.practice, practitioner=world.home.admin,
                                   first_day=date(2030, 1, 1), last_day=date(2030, 1, 2))
    outsiders = DayOff.objects.create(practice=world.outsider.practice, practitioner=world.outsider.practitioner,
                                      first_day=date(2030, 1, 1), last_day=date(2030, 1, 2))
    practitioner = login(world.home.practitioner)
    assert practitioner.post(reverse("day_off_delete", args=[admins.pk])).status_code == 403
    assert practitioner.post(reverse("day_off_delete", args=[outsiders.pk])).status_code == 404
    assert practitioner.post(reverse("day_off_add", args=[world.home.admin.pk]), day_off("2030-02-01", "2030-02-01")).status_code == 403
    assert practitioner.post(reverse("day_off_add", args=[world.outsider.practitioner.pk]),
                             day_off("2030-02-01", "2030-02-01")).status_code == 404
    assert practitioner.get(reverse("day_off_delete", args=[admins.pk])).status_code == 405
    client = login(world.home.client)
    assert client.post(reverse("day_off_delete", args=[admins.pk])).status_code == 403
    assert client.post(reverse("day_off_add", args=[world.home.practitioner.pk]), day_off("2030-02-01", "2030-02-01")).status_code == 403
    assert DayOff.objects.count() == 2
    staff = login(world.home.staff)
    response = staff.post(reverse("day_off_delete", args=[admins.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("availability_for", args=[world.home.admin.pk])
    assert staff.post(reverse("day_off_delete", args=[outsiders.pk])).status_code == 404
    assert list(DayOff.objects.all()) == [outsiders]
