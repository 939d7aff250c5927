"""Saving sessions from the browser: the Save page, the calendar pop-up, bulk save from the lists."""
import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import EntryKind, LedgerEntry
from practice.tests.factories import PASSWORD, ParticipantFactory, SessionFactory
from sessions_app import completion, scheduling
from sessions_app.models import CompletionType, Participant, SessionStatus

pytestmark = pytest.mark.django_db
LIST = reverse("sessions_app:session_list")
OPEN = reverse("sessions_app:open_sessions")
BULK = reverse("sessions_app:bulk_save")


# --- Building blocks ----------------------------------------------------------------------------

def past_session(cast, *, names=("Jamie Rivera",), **fields):
    """A session of ``cast`` three days ago (10 AM unless ``hour=``) with its 150.00 service and one client per name."""
    return SessionFactory(cast=cast, past=True, services=[cast.service], clients=names, **fields)


@pytest.fixture
def one_to_one(world):
    return past_session(world.home, clients__client=world.home.client)


@pytest.fixture
def group(world):
    session = past_session(world.home, names=("Alex Moreno", "Priya Shah"), hour=13)
    ParticipantFactory(session=session, name="Sign Interpreter", is_client=False)
    return session


def kind(world, label):
    return CompletionType.objects.get(practice=world.home.practice, label=label)


def late_cancel(world):
    return CompletionType.objects.create(
        practice=world.home.practice, map_status="canceled", label="Late Cancel", modifier_type="percent",
        client_modifier=50, practitioner_modifier=50,
        description="Use this option when the client cancels within 1 hour of the start time.",
    )


def save_url(session):
    return reverse("sessions_app:session_save", args=[session.pk])


def popup_url(session):
    return reverse("sessions_app:session_popup", args=[session.pk])


def detail_url(session):
    return reverse("sessions_app:session_detail", args=[session.pk])


def text(response):
    return html.unescape(response.content.decode())


def options_of(page, name):
    """(value, label) of each option of the select called ``name``."""
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert select, f"no select named {name}"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def amounts(session, entry_kind):
    return sorted(LedgerEntry.objects.filter(session=session, kind=entry_kind).values_list("amount", flat=True))


def staff_with_override(world):
    membership = world.home.staff.memberships.get()
    membership.can_override_cost = True
    membership.save()
    return world.home.staff


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


# --- The Save page ------------------------------------------------------------------------------

def test_the_save_page_offers_the_enabled_types_in_order_with_their_descriptions(login, world, one_to_one):
    late_cancel(world)
    missed = kind(world, "Missed")
    missed.enabled = False
    missed.save()
    response = login(world.home.practitioner).get(save_url(one_to_one))
    assert response.status_code == 200
    page = text(response)
    assert [label for _, label in options_of(page, "option")] == ["Choose an outcome…", "Completed", "Canceled", "Late Cancel"]
    assert "The session took place: full cost and wages." in page
    assert "Use this option when the client cancels within 1 hour of the start time." in page
    assert "Outcome for Jamie Rivera" in page
    assert "Completed with Cost Over-ride" not in page  # a practitioner may not over-ride


def test_saving_as_completed_writes_the_charge_and_wage_and_returns_to_the_details(login, world, one_to_one):
    client = login(world.home.practitioner)
    response = client.post(save_url(one_to_one), {"option": kind(world, "Completed").pk})
    assert response.status_code == 302 and response.url == detail_url(one_to_one)
    assert amounts(one_to_one, EntryKind.CHARGE) == [Decimal("150.00")]
    assert amounts(one_to_one, EntryKind.WAGE) == [Decimal("90.00")]  # the service pays 60%
    one_to_one.refresh_from_db()
    assert one_to_one.status == SessionStatus.COMPLETED
    page = client.get(response.url)
    assert "Session saved as Completed." in messages_of(page)


def test_the_message_names_a_custom_type(login, world, one_to_one):
    late = late_cancel(world)
    response = login(world.home.practitioner).post(save_url(one_to_one), {"option": late.pk}, follow=True)
    assert "Session saved as Late Cancel." in messages_of(response)
    assert amounts(one_to_one, EntryKind.CHARGE) == [Decimal("75.00")]


def test_a_local_next_is_followed_and_a_foreign_one_ignored(login, world, one_to_one):
    client = login(world.home.practitioner)
    calendar = reverse("sessions_app:calendar") + "?date=2030-03-12"
    response = client.post(save_url(one_to_one), {"option": kind(world, "Missed").pk, "next": calendar})
    assert response.url == calendar
    response = client.post(save_url(one_to_one), {"option": kind(world, "Completed").pk, "next": "https://evil.example/"})
    assert response.url == detail_url(one_to_one)


def test_choosing_nothing_is_a_form_error_and_writes_nothing(login, world, one_to_one):
    response = login(world.home.practitioner).post(save_url(one_to_one), {"option": ""})
    assert response.status_code == 200
    assert "Choose an outcome." in text(response)
    assert not LedgerEntry.objects.exists()


def test_a_practitioner_cannot_submit_the_over_ride(login, world, one_to_one):
    response = login(world.home.practitioner).post(save_url(one_to_one), {"option": "override", "cost": "10", "wages": "5"})
    assert response.status_code == 200
    assert "Choose one of the options in the list." in text(response)
    assert not LedgerEntry.objects.exists()
    one_to_one.refresh_from_db()
    assert one_to_one.status == SessionStatus.SCHEDULED


def test_staff_without_the_permission_neither_sees_nor_submits_the_over_ride(login, world, one_to_one):
    client = login(world.home.staff)
    assert "Completed with Cost Over-ride" not in text(client.get(save_url(one_to_one)))
    client.post(save_url(one_to_one), {"option": "override", "cost": "10", "wages": "5"})
    assert not LedgerEntry.objects.exists()


def test_staff_with_the_permission_saves_an_over_ride_with_amounts(login, world, one_to_one):
    client = login(staff_with_override(world))
    page = text(client.get(save_url(one_to_one)))
    assert ("override", "Completed with Cost Over-ride") in options_of(page, "option")
    assert "Cost (USD)" in page and "Wages (USD)" in page
    response = client.post(save_url(one_to_one), {"option": "override", "cost": "80", "wages": "40.50"}, follow=True)
    assert "Session saved as Cost Over-ride." in messages_of(response)
    assert amounts(one_to_one, EntryKind.CHARGE) == [Decimal("80.00")]
    assert amounts(one_to_one, EntryKind.WAGE) == [Decimal("40.50")]


@pytest.mark.parametrize("data, error", [
    ({}, "Enter the cost: an amount of 0 or more."),
    ({"cost": "80"}, "Enter the wages: an amount of 0 or more."),
    ({"cost": "-1", "wages": "5"}, "Enter an amount of 0 or more."),
    ({"cost": "12.345", "wages": "5"}, "Enter at most 2 decimal places for USD."),
    ({"cost": "lots", "wages": "5"}, "Enter an amount as a number, like 80.00."),
    ({"cost": "1e30", "wages": "5"}, "That amount is too large."),
])
def test_over_ride_amounts_are_checked_and_nothing_is_written(login, world, one_to_one, data, error):
    response = login(staff_with_override(world)).post(save_url(one_to_one), {"option": "override", **data})
    assert response.status_code == 200
    assert error in text(response)
    assert not LedgerEntry.objects.exists()
    assert not one_to_one.participants.exclude(completion_label="").exists()


def test_a_saved_session_shows_its_outcome_and_can_be_saved_again(login, world, one_to_one):
    client = login(world.home.practitioner)
    client.post(save_url(one_to_one), {"option": kind(world, "Completed").pk})
    page = text(client.get(save_url(one_to_one)))
    assert "Now saved as Completed: cost 150.00 USD, wages 90.00 USD." in page
    assert re.search(rf'<option value="{kind(world, "Completed").pk}" selected>Completed</option>', page)
    response = client.post(save_url(one_to_one), {"option": kind(world, "Canceled").pk}, follow=True)
    assert "Session saved as Canceled." in messages_of(response)
    assert amounts(one_to_one, EntryKind.CHARGE) == [Decimal("-150.00"), Decimal("0.00"), Decimal("150.00")]
    one_to_one.refresh_from_db()
    assert (one_to_one.status, one_to_one.completion_label) == (SessionStatus.CANCELED, "Canceled")


def test_a_group_gets_one_choice_per_client_and_a_same_for_everyone_select(login, world, group):
    page = text(login(world.home.practitioner).get(save_url(group)))
    clients = list(group.participants.filter(is_client=True))
    interpreter = group.participants.get(is_client=False)
    assert 'id="same-for-everyone"' in page and "Same for everyone" in page
    for participant in clients:
        assert [label for _, label in options_of(page, f"option-{participant.pk}")][1:] == ["Completed", "Canceled", "Missed"]
        assert re.search(rf'<label\s+for="id_option-{participant.pk}" class="form-label">\s*{participant.name}\s*</label>', page)
    assert f'name="option-{interpreter.pk}"' not in page
    assert 'name="option"' not in page


def test_a_group_saved_with_different_outcomes_per_participant(login, world, group):
    alex, priya = group.participants.filter(is_client=True).order_by("pk")
    response = login(world.home.practitioner).post(save_url(group), {
        f"option-{alex.pk}": kind(world, "Completed").pk, f"option-{priya.pk}": kind(world, "Missed").pk,
    }, follow=True)
    assert "Session saved: Completed for Alex Moreno, Missed for Priya Shah." in messages_of(response)
    alex.refresh_from_db()
    priya.refresh_from_db()
    assert (alex.completion_label, priya.completion_label) == ("Completed", "Missed")
    assert amounts(group, EntryKind.CHARGE) == [Decimal("150.00"), Decimal("150.00")]
    group.refresh_from_db()
    assert group.completion_label == "Mixed"


def test_a_group_with_a_participant_left_out_is_a_form_error(login, world, group):
    alex = group.participants.filter(is_client=True).order_by("pk").first()
    response = login(world.home.practitioner).post(save_url(group), {f"option-{alex.pk}": kind(world, "Completed").pk})
    assert "Choose an outcome for Priya Shah." in text(response)
    assert not LedgerEntry.objects.exists()


def test_a_session_without_clients_says_so_instead_of_a_form(login, world):
    session = past_session(world.home, names=())
    ParticipantFactory(session=session, name="Observer", is_client=False)
    client = login(world.home.practitioner)
    assert "no client participant" in text(client.get(save_url(session)))
    assert client.post(save_url(session), {"option": kind(world, "Completed").pk}).status_code == 200
    assert not LedgerEntry.objects.exists()


def test_an_overlap_from_the_database_is_a_form_error_not_a_500(login, world):
    """A canceled session whose time was booked again cannot come back as completed."""
    canceled = past_session(world.home)
    scheduling.cancel_session(practice=world.home.practice, actor=world.home.practitioner, session=canceled, notify=False)
    past_session(world.home)  # the same practitioner, the same time
    response = login(world.home.practitioner).post(save_url(canceled), {"option": kind(world, "Completed").pk})
    assert response.status_code == 200
    assert "overlaps another session" in text(response)
    assert not LedgerEntry.objects.filter(session=canceled).exists()
    canceled.refresh_from_db()
    assert canceled.status == SessionStatus.CANCELED


def test_clients_are_refused_the_save_page(login, world, one_to_one):
    client = login(world.home.client)
    assert client.get(save_url(one_to_one)).status_code == 403
    assert client.post(save_url(one_to_one), {"option": kind(world, "Completed").pk}).status_code == 403
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("role", ["admin", "staff", "practitioner", "client"])
def test_another_practices_session_is_not_found(login, world, one_to_one, role):
    client = login(world.outsider.member(role))
    assert client.get(save_url(one_to_one)).status_code == 404
    assert client.post(save_url(one_to_one), {"option": kind(world, "Completed").pk}).status_code == 404
    assert client.get(popup_url(one_to_one)).status_code == 404
    assert not LedgerEntry.objects.exists()


def test_a_practitioner_cannot_save_a_colleagues_session(login, world):
    theirs = past_session(world.home, practitioner=world.home.admin)
    response = login(world.home.practitioner).post(save_url(theirs), {"option": kind(world, "Completed").pk})
    assert response.status_code == 404
    assert not LedgerEntry.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, world, one_to_one):
    response = client.get(save_url(one_to_one))
    assert response.status_code == 302 and "/login/" in response.url
    assert client.post(BULK, {"session": one_to_one.pk, "option": kind(world, "Completed").pk}).status_code == 302
    assert not LedgerEntry.objects.exists()


def test_save_page_queries_do_not_grow_with_participants(login, world, django_assert_max_num_queries, django_assert_num_queries):
    client = login(world.home.staff)
    small = past_session(world.home, names=("Ann Lee", "Bo Chen"))
    large = past_session(world.home, names=[f"Client {i}" for i in range(8)], hour=15)
    with django_assert_max_num_queries(12) as captured:  # 11 + the access log INSERT
        assert client.get(save_url(small)).status_code == 200
    few = len(captured)
    with django_assert_num_queries(few):
        assert client.get(save_url(large)).status_code == 200


# --- The session detail page --------------------------------------------------------------------

def test_the_detail_page_has_a_save_button_for_the_team_only(login, world, one_to_one):
    button = f'href="{save_url(one_to_one)}"'
    for member in (world.home.practitioner, world.home.staff, world.home.admin):
        assert button in text(login(member).get(detail_url(one_to_one)))
    assert button not in text(login(world.home.client).get(detail_url(one_to_one)))


def test_the_detail_page_shows_each_clients_outcome_and_wages_only_to_whom_it_concerns(login, world, group):
    late = late_cancel(world)
    alex, priya = group.participants.filter(is_client=True).order_by("pk")
    membership = world.home.practitioner.memberships.get()
    completion.save_session(practice=world.home.practice, actor=world.home.practitioner, membership=membership, session=group,
                            outcomes={alex.pk: completion.Outcome(late), priya.pk: completion.Outcome(kind(world, "Completed"))})
    for member in (world.home.practitioner, world.home.staff):
        page = text(login(member).get(detail_url(group)))
        assert "Late Cancel" in page and "Cost 75.00 USD" in page and "Wages 45.00 USD" in page
        assert "Cost 150.00 USD" in page and "Wages 90.00 USD" in page
    # A client sees their own outcome and cost, never the wages.
    Participant.objects.filter(pk=alex.pk).update(client=world.home.client)
    page = text(login(world.home.client).get(detail_url(group)))
    assert "Late Cancel" in page and "Cost 75.00 USD" in page
    assert "Wages" not in page and "Priya Shah" not in page


# --- Bulk save from the lists -------------------------------------------------------------------

def test_the_lists_have_checkboxes_a_disabled_submit_and_no_over_ride(login, world, one_to_one):
    client = login(staff_with_override(world))
    for url in (LIST + "?from=2000-01-01", OPEN):
        page = text(client.get(url))
        assert f'name="session" value="{one_to_one.pk}"' in page
        assert "data-select-all" in page
        assert re.search(r'<button[^>]*type="submit"[^>]*disabled[^>]*data-bulk-submit', page)
        assert [label for _, label in options_of(page, "option")] == ["Save as…", "Completed", "Canceled", "Missed"]
        assert f'action="{BULK}"' in page
        assert f'name="next" value="{html.unescape(url)}"' in page


def test_bulk_save_of_a_one_to_one_and_a_group_session(login, world, one_to_one, group):
    client = login(world.home.practitioner)
    back = LIST + "?from=2000-01-01"
    response = client.post(BULK, {"session": [one_to_one.pk, group.pk], "option": kind(world, "Missed").pk, "next": back})
    assert response.status_code == 302 and response.url == back
    assert len(amounts(one_to_one, EntryKind.CHARGE)) == 1
    assert len(amounts(group, EntryKind.CHARGE)) == 2  # one per client, none for the interpreter
    assert LedgerEntry.objects.filter(kind=EntryKind.CHARGE).count() == 3
    page = client.get(back)
    assert "Saved 2 sessions as Missed." in messages_of(page)
    assert [s.status for s in page.context["page"]] == [SessionStatus.MISSED, SessionStatus.MISSED]
    assert text(page).count('<span class="badge text-bg-warning" title="Missed" data-completion-label>Missed</span>') == 4


def test_bulk_save_says_which_sessions_had_no_client(login, world, one_to_one):
    nobody = past_session(world.home, names=(), hour=15)
    response = login(world.home.staff).post(BULK, {"session": [one_to_one.pk, nobody.pk], "option": kind(world, "Completed").pk},
                                            follow=True)
    assert "Saved 1 session as Completed. 1 session has no client to save and was left as it was." in messages_of(response)
    nobody.refresh_from_db()
    assert nobody.status == SessionStatus.SCHEDULED


def test_bulk_save_with_another_practices_id_writes_nothing(login, world, one_to_one):
    foreign = past_session(world.outsider)
    client = login(world.home.staff)
    response = client.post(BULK, {"session": [one_to_one.pk, foreign.pk], "option": kind(world, "Completed").pk, "next": OPEN},
                           follow=True)
    assert "1 of the checked sessions could not be found" in " ".join(messages_of(response))
    assert not LedgerEntry.objects.exists()
    one_to_one.refresh_from_db()
    assert one_to_one.status == SessionStatus.SCHEDULED


def test_bulk_save_of_a_colleagues_session_by_a_practitioner_writes_nothing(login, world, one_to_one):
    theirs = past_session(world.home, practitioner=world.home.admin, hour=16)
    login(world.home.practitioner).post(BULK, {"session": [one_to_one.pk, theirs.pk], "option": kind(world, "Completed").pk})
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("data, message", [
    ({"option": "override"}, "Choose one of the options in the list."),
    ({"option": ""}, "Choose what to save the checked sessions as."),
    ({"session": []}, "Check at least one session to save."),
    ({"session": ["abc"]}, "One of the checked sessions could not be read."),
])
def test_bulk_save_refuses_bad_input_in_plain_words(login, world, one_to_one, data, message):
    staff = staff_with_override(world)
    data = {"session": [one_to_one.pk], "option": kind(world, "Completed").pk, **data}
    response = login(staff).post(BULK, data, follow=True)
    assert response.status_code == 200
    assert message in " ".join(messages_of(response))
    assert not LedgerEntry.objects.exists()


def test_bulk_save_goes_back_only_to_a_local_page(login, world, one_to_one):
    response = login(world.home.staff).post(BULK, {"session": [one_to_one.pk], "option": kind(world, "Canceled").pk,
                                                   "next": "https://evil.example/steal"})
    assert response.url == LIST


def test_clients_are_refused_bulk_save(login, world, one_to_one):
    response = login(world.home.client).post(BULK, {"session": [one_to_one.pk], "option": kind(world, "Completed").pk})
    assert response.status_code == 403
    assert not LedgerEntry.objects.exists()


def test_bulk_save_answers_only_post(login, world):
    assert login(world.home.staff).get(BULK).status_code == 405


def test_completion_labels_show_on_the_session_list_but_not_on_the_open_list(login, world, one_to_one):
    late = late_cancel(world)
    still_open = past_session(world.home, names=("Robin Diaz",), hour=15)
    client = login(world.home.practitioner)
    client.post(save_url(one_to_one), {"option": late.pk})
    listing = text(client.get(LIST + "?from=2000-01-01"))
    # The label keeps the colour of the state it maps to (canceled: grey).
    assert '<span class="badge text-bg-secondary" title="Canceled" data-completion-label>Late Cancel</span>' in listing
    open_page = client.get(OPEN)
    assert [s.pk for s in open_page.context["page"]] == [still_open.pk]
    rows = re.search(r"<tbody>(.*)</tbody>", text(open_page), re.DOTALL).group(1)  # the bulk select above lists the option
    assert "Robin Diaz" in rows
    assert "Late Cancel" not in rows and "data-completion-label" not in rows


# ``most`` is today's count, as a ceiling; with more rows the count must not move at all.
@pytest.mark.parametrize("url, most", [(LIST + "?from=2000-01-01", 11), (OPEN, 10)])
def test_list_queries_stay_equal_between_2_and_20_rows_with_the_bulk_form(login, world, url, most, django_assert_max_num_queries,
                                                                           django_assert_num_queries):
    client = login(world.home.staff)
    for i in range(2):
        past_session(world.home, names=("Ann Lee", "Bo Chen"), days_ahead=-2 - i)
    with django_assert_max_num_queries(most) as captured:
        assert client.get(url).status_code == 200
    few = len(captured)
    assert "data-bulk-form" in text(client.get(url))
    for i in range(18):
        past_session(world.home, names=("Cy Park",), days_ahead=-4 - i)
    page = text(client.get(url))
    assert page.count('name="session"') == 20
    with django_assert_num_queries(few):
        assert client.get(url).status_code == 200


# --- The calendar pop-up ------------------------------------------------------------------------

def test_the_popup_has_a_save_form_for_the_team(login, world, one_to_one):
    page = text(login(world.home.practitioner).get(popup_url(one_to_one)))
    assert re.search(rf'<form method="post" action="{re.escape(save_url(one_to_one))}"', page)
    assert [label for _, label in options_of(page, "option")] == ["Choose an outcome…", "Completed", "Canceled", "Missed"]
    assert "Jamie Rivera" in page and "90837" in page
    assert f'href="{detail_url(one_to_one)}"' in page and "Details" in page
    assert reverse("sessions_app:session_edit", args=[one_to_one.pk]) in page


def test_the_popup_form_saves_and_returns_to_the_calendar(login, world, one_to_one):
    client = login(world.home.practitioner)
    page = text(client.get(popup_url(one_to_one)))
    back = re.search(r'name="next" value="([^"]+)"', page).group(1)
    assert back.startswith(reverse("sessions_app:calendar") + "?date=")
    response = client.post(save_url(one_to_one), {"option": kind(world, "Missed").pk, "next": back})
    assert response.url == back
    assert amounts(one_to_one, EntryKind.CHARGE) == [Decimal("150.00")]
    page = text(client.get(popup_url(one_to_one)))
    assert "(now saved as Missed)" in page
    assert reverse("sessions_app:session_edit", args=[one_to_one.pk]) not in page  # only a scheduled session is edited


def test_the_popup_of_a_group_links_to_the_save_page(login, world, group):
    page = text(login(world.home.practitioner).get(popup_url(group)))
    assert "data-save-link" in page and save_url(group) in page
    assert 'name="option"' not in page


def test_the_popup_offers_no_over_ride_in_its_select(login, world, one_to_one):
    page = text(login(staff_with_override(world)).get(popup_url(one_to_one)))
    assert "override" not in [value for value, _ in options_of(page, "option")]
    assert f'href="{save_url(one_to_one)}?next=' in page  # the over-ride lives on the full page


def test_a_client_gets_the_popup_without_a_save_form(login, world, one_to_one):
    page = text(login(world.home.client).get(popup_url(one_to_one)))
    assert "Jamie Rivera" in page
    assert "<form" not in page and save_url(one_to_one) not in page
    assert reverse("sessions_app:session_edit", args=[one_to_one.pk]) not in page


def test_a_client_cannot_open_someone_elses_popup(login, world):
    other = past_session(world.home, names=("Someone Else",))
    assert login(world.home.client).get(popup_url(other)).status_code == 404


def test_the_calendar_shows_the_completion_label_in_the_title(login, world, one_to_one):
    no_show = CompletionType.objects.create(practice=world.home.practice, map_status="missed", label="No-show fee",
                                            modifier_type="fixed", client_modifier=40, practitioner_modifier=15)
    client = login(world.home.practitioner)
    client.post(save_url(one_to_one), {"option": no_show.pk})
    day = one_to_one.start.date()
    params = {"start": f"{day - timedelta(days=1)}T00:00:00", "end": f"{day + timedelta(days=2)}T00:00:00"}
    events = client.get(reverse("sessions_app:calendar_events"), params).json()
    assert [e["title"] for e in events if e["id"] == one_to_one.pk] == ["Jamie Rivera · No-show fee"]
    # The client sees their own outcome after the practitioner's short name ("Dana H.").
    events = login(world.home.client).get(reverse("sessions_app:calendar_events"), params).json()
    host = world.home.practitioner
    assert [e["title"] for e in events if e["id"] == one_to_one.pk] == [f"{host.first_name} {host.last_name[0]}. · No-show fee"]


def test_the_calendar_has_the_popup_modal(login, world):
    page = text(login(world.home.practitioner).get(reverse("sessions_app:calendar")))
    assert 'id="session-modal-body"' in page
    assert f'data-popup-url="{reverse("sessions_app:session_popup", args=[0])}"' in page


# --- In Chromium: the small scripts -------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_bulk_bar_and_the_save_page_scripts(page, live_server, world):
    first = past_session(world.home)
    second = past_session(world.home, hour=14)
    staff = staff_with_override(world)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail").fill(staff.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()

    page.goto(f"{live_server.url}{OPEN}")
    submit = page.locator("[data-bulk-submit]")
    assert submit.is_disabled()
    page.locator("#bulk-option").select_option(label="Missed")
    assert submit.is_disabled()  # nothing checked yet
    page.locator("[data-select-all]").check()
    assert page.locator("input[name='session']:checked").count() == 2
    assert submit.is_enabled()
    page.locator("#bulk-option").select_option(value="")
    assert submit.is_disabled()  # no option
    page.locator("#bulk-option").select_option(label="Missed")
    submit.click()
    page.wait_for_load_state()
    assert page.get_by_text("Saved 2 sessions as Missed.").is_visible()
    assert LedgerEntry.objects.filter(kind=EntryKind.CHARGE, session__in=[first, second]).count() == 2

    group_session = past_session(world.home, names=("Alex Moreno", "Priya Shah"), hour=16)
    page.goto(f"{live_server.url}{save_url(group_session)}")
    amounts_box = page.locator("[data-override-amounts]").first
    assert not amounts_box.is_visible()
    page.locator("#same-for-everyone").select_option(label="Completed with Cost Over-ride")
    assert page.locator("[data-override-amounts]:visible").count() == 2
    page.locator("#same-for-everyone").select_option(label="Canceled")
    assert page.locator("[data-override-amounts]:visible").count() == 0
    page.get_by_role("button", name="Submit").click()
    page.wait_for_load_state()
    assert page.get_by_text("Session saved as Canceled.").is_visible()
