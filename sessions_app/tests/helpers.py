"""Build the POST of the session form the way the browser sends it."""
from practice.models import Service


def session_post(*, practitioner, day="2030-03-12", time="10:00", zone="America/New_York", length="50",
                 room="", delivery="in_person", participants=None, services=None, kind="regular", **extra):
    """``services=None`` posts one line with the first active service of the practitioner's practice at
    its own price (a session with a client needs one); ``services=[]`` posts none."""
    participants = participants if participants is not None else [
        {"name": "Jamie Rivera", "invite_method": "email", "email": "jamie@example.com", "time_zone": "America/Chicago"}
    ]
    if services is None:
        service = (Service.objects.filter(practice__memberships__user=practitioner, is_active=True)
                   .order_by("pk").first())
        services = [{"service": service.pk, "price": ""}] if service else []
    data = {
        "kind": kind, "practitioner": practitioner.pk, "room": room, "delivery_method": delivery, "day": day,
        "start_time": time, "time_zone": zone, "duration_minutes": length, "public_note": "", "private_note": "",
        "participants-TOTAL_FORMS": len(participants), "participants-INITIAL_FORMS": 0,
        "participants-MIN_NUM_FORMS": 1, "participants-MAX_NUM_FORMS": 50,
        "services-TOTAL_FORMS": len(services), "services-INITIAL_FORMS": 0,
        "services-MIN_NUM_FORMS": 0, "services-MAX_NUM_FORMS": 10,
    }
    for i, p in enumerate(participants):
        row = {"invite_method": "email", "email": "", "phone": "", "time_zone": "America/New_York", "is_client": "True", **p}
        data.update({f"participants-{i}-{k}": v for k, v in row.items()})
    for i, s in enumerate(services):
        data.update({f"services-{i}-{k}": v for k, v in s.items()})
    data.update(extra)
    return data
