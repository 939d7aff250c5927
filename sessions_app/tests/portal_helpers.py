"""A bookable practice for portal tests: a service offered online by the home practitioner,
weekly hours every day 09:00–17:00 in the practitioner's zone, and the client's contact."""
from datetime import time

from practice.models import WeeklyHours
from practice.tests.factories import ContactFactory


def make_bookable(cast, *, notice_hours=0, confirmation=True, step=30, before=0, after=0, horizon_days=60, hours=None):
    practice = cast.practice
    practice.booking_min_notice_hours = notice_hours
    practice.booking_requires_confirmation = confirmation
    practice.booking_slot_step_minutes = step
    practice.booking_buffer_before_minutes = before
    practice.booking_buffer_after_minutes = after
    practice.booking_horizon_days = horizon_days
    practice.save()
    service = cast.service
    service.bookable_online = True
    service.duration_minutes = 50
    service.in_person, service.video, service.phone = True, True, False
    service.save()
    service.practitioners.add(cast.practitioner)
    for weekday in range(7):
        for start, end in hours or [(time(9), time(17))]:
            WeeklyHours.objects.create(practice=practice, practitioner=cast.practitioner, weekday=weekday,
                                       start_time=start, end_time=end)
    if not cast.contact.client_id:
        ContactFactory(practice=practice, owner=cast.practitioner, name="Riley Park", email=cast.client.email,
                       client=cast.client, time_zone="America/Chicago")
    return service
