"""The recurrence preview is the first thing under the title after Save, and "Back to the form"
does not post the form again (issue 11, item 17; the browser side is in test_browser_session_form)."""
import pytest
import time_machine
from django.urls import reverse

from sessions_app.models import Session
from sessions_app.tests.helpers import session_post

pytestmark = pytest.mark.django_db


@time_machine.travel("2030-01-02 15:00 -0500", tick=False)
def test_the_preview_comes_before_the_form_and_back_is_not_a_submit(login, world):
    data = session_post(practitioner=world.home.practitioner, day="2030-01-07", time="10:00")
    data.update({"repeat-preset": "weekly", "repeat-enabled": "on", "repeat-count": "4"})
    page = login(world.home.practitioner).post(reverse("sessions_app:session_new"), data).content.decode()
    main = page.split("<main", 1)[1]
    assert main.index("Check the schedule") < main.index("Participants") < main.rindex("Save schedule")  # the button
    label = main.rindex("Back to the form")  # the button (the preview's text names it too)
    back = main[main.rindex("<button", 0, label):label]
    assert 'type="button"' in back and "name=" not in back  # goes back in the page, posts nothing
    assert Session.objects.count() == 0
