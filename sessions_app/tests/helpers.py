"""Build the POST of the session form the way the browser sends it."""


def session_post(*, practitioner, day="2030-03-12", time="10:00", zone="America/New_York", length="50",
                 room="", delivery="in_person", participants=None, services=None, kind="regular", **extra):
    participants = participants if participants is not None else [
        {"name": "Jamie Rivera", "invite_method": "email", "email": "jamie@example.com", "time_zone": "America/Chicago"}
    ]
    services = services or []
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
