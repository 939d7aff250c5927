"""Load the demo practice. Safe to run again: it only adds what is missing."""
import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from notifications import channels
from practice.errors import DomainError
from practice.models import BookingQuestion, Membership, Practice, QuestionKind, Role, Room, RoomKind, Service, User, WeeklyHours
from practice.questions import Question
from sessions_app import documents, policy
from sessions_app.models import (
    CancellationPolicy,
    Closure,
    CompletionType,
    Contact,
    DocumentPackage,
    DocumentTemplate,
    InviteMethod,
    LateCancelAction,
    ModifierType,
    Session,
    SessionSeries,
    SessionStatus,
)
from sessions_app.scheduling import ParticipantData, SessionData, schedule_session
from sessions_app.series import create_series

PASSWORD = "demo-pass-2026"
TZ = "America/New_York"

USERS = [
    ("admin@demo.test", "Avery", "Admin", Role.ADMIN),
    ("staff@demo.test", "Sam", "Staff", Role.STAFF),
    ("host@demo.test", "Dana", "Host", Role.PRACTITIONER),
    ("host2@demo.test", "Morgan", "Reyes", Role.PRACTITIONER),
    ("client@demo.test", "Casey", "Client", Role.CLIENT),
]

SERVICES = [
    ("90791", "Diagnostic evaluation", "200.00", 60),
    ("90834", "Psychotherapy, 45 min", "130.00", 45),
    ("90837", "Psychotherapy, 60 min", "175.00", 60),
    ("90847", "Family psychotherapy", "150.00", 50),
    ("90853", "Group psychotherapy", "60.00", 90),
]

CONTACTS = [
    ("Casey Client", "client@demo.test", "", "America/New_York", InviteMethod.EMAIL),
    ("Jordan Lee", "jordan.lee@example.com", "", "America/Chicago", InviteMethod.EMAIL),
    ("Riley Park", "", "+12125550142", "America/New_York", InviteMethod.TEXT),
    ("Alex Moreno", "alex.moreno@example.com", "", "America/Los_Angeles", InviteMethod.EMAIL),
    ("T.K.", "", "", "America/New_York", InviteMethod.NONE),
    ("Priya Shah", "priya.shah@example.com", "", "Europe/London", InviteMethod.EMAIL),
]


class Command(BaseCommand):
    help = "Create the Demo Practice with its people, services, rooms, contacts and a few weeks of sessions."

    @transaction.atomic
    def handle(self, *args, **options):
        practice, _ = Practice.objects.get_or_create(
            slug="demo",
            defaults={
                "name": "Demo Practice", "time_zone": TZ, "currency": "USD",
                "reminder_offsets_minutes": [1440, 120],
                "support_name": "Tech Support", "support_email": "support@demo.test", "support_phone": "+12125550100",
                "booking_buffer_after_minutes": 10,
            },
        )
        users = {}
        for email, first, last, role in USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email, PASSWORD, first_name=first, last_name=last, time_zone=TZ)
            Membership.objects.get_or_create(
                user=user, practice=practice,
                defaults={"role": role, "can_override_cost": role in (Role.ADMIN, Role.STAFF)},
            )
            users[email] = user

        services = {}
        for code, name, price, minutes in SERVICES:
            services[code], _ = Service.objects.get_or_create(
                practice=practice, name=name,
                defaults={"cpt_code": code, "price": Decimal(price), "duration_minutes": minutes},
            )
        rooms = {}
        for name, kind in [("Room 1", RoomKind.IN_PERSON), ("Room 2", RoomKind.IN_PERSON), ("Secure Video", RoomKind.VIRTUAL)]:
            rooms[name], _ = Room.objects.get_or_create(practice=practice, name=name, defaults={"kind": kind})

        # Without Twilio a text would only be written to the worker's log (or refused), yet read
        # "Invite sent": the demo's phone-only contacts then get no invite, and the command says so.
        texts = channels.sms_configured(practice)
        if not texts:
            self.stdout.write("Text messages are not set up (TWILIO_*): the demo's phone-only contacts get no invite "
                              "(“System should not send invite”) instead of a text that would not leave.")
        contacts = {}
        for host in ("host@demo.test", "host2@demo.test"):
            for name, email, phone, zone, method in CONTACTS:
                if method == InviteMethod.TEXT and not texts:
                    method = InviteMethod.NONE
                contacts[host, name], _ = Contact.objects.get_or_create(
                    practice=practice, owner=users[host], name=name,
                    defaults={
                        "email": email, "phone": phone, "time_zone": zone, "invite_method": method,
                        "client": users["client@demo.test"] if email == "client@demo.test" else None,
                    },
                )

        self._booking(practice, users, services)
        self._documents(practice, users)
        self._cancellation_policy(practice)
        if not Session.objects.filter(practice=practice).exists():
            count = self._sessions(practice, users, services, rooms, contacts)
            self.stdout.write(f"Scheduled {count} demo sessions.")
        if not SessionSeries.objects.filter(practice=practice).exists():
            self._series(practice, users, services, rooms, contacts)
        if not Closure.objects.filter(practice=practice).exists():
            today = timezone.localdate(timezone=zoneinfo.ZoneInfo(TZ))
            training = today + timedelta(days=(7 - today.weekday()) % 7 + 14)  # a Monday two weeks out
            Closure.objects.create(practice=practice, title="Staff training day", start_date=training, end_date=training,
                                   created_by=users["admin@demo.test"])
        self._meeting_soon(practice, users, services, rooms, contacts)
        call_command("demo_billing", stdout=self.stdout)  # by name: sessions_app imports nothing of billing
        self.stdout.write(self.style.SUCCESS("Demo Practice is ready."))

    def _booking(self, practice, users, services):
        """The client portal: two services clients may book online, both practitioners' weekly
        hours, and a Booking Page Form on the evaluation."""
        host, host2 = users["host@demo.test"], users["host2@demo.test"]
        for code, people in (("90837", [host, host2]), ("90791", [host])):
            service = services[code]
            service.bookable_online = True
            service.save(update_fields=["bookable_online"])
            service.practitioners.add(*people)
        Service.objects.filter(practice=practice).exclude(cpt_code__in=["90837", "90791"]).update(bookable_online=False)
        week = {
            host: [(day, time(9), time(12)) for day in range(5)] + [(day, time(13), time(17)) for day in range(5)],
            host2: [(day, time(10), time(18)) for day in (0, 2, 3)] + [(1, time(12), time(20))],
        }
        for practitioner, ranges in week.items():
            if not WeeklyHours.objects.filter(practitioner=practitioner, practice=practice).exists():
                WeeklyHours.objects.bulk_create(
                    WeeklyHours(practice=practice, practitioner=practitioner, weekday=day, start_time=start, end_time=end)
                    for day, start, end in ranges
                )
        evaluation = services["90791"]
        if not evaluation.booking_questions.exists():
            BookingQuestion.objects.bulk_create([
                BookingQuestion(service=evaluation, label="What would you like to work on?", kind=QuestionKind.LONG_TEXT,
                                required=True, position=0),
                BookingQuestion(service=evaluation, label="Have you been in therapy before?", kind=QuestionKind.YES_NO,
                                required=True, position=1),
                BookingQuestion(service=evaluation, label="How did you hear about us?", kind=QuestionKind.CHOICE,
                                choices="A search engine\nA friend or family member\nMy doctor\nOther", position=2),
            ])

    def _documents(self, practice, users):
        """The "New client intake" package: an intake questionnaire and a telehealth consent (issue 16)."""
        if DocumentPackage.objects.filter(practice=practice, name="New client intake").exists():
            return
        admin = users["admin@demo.test"]
        templates = {t.name: t for t in DocumentTemplate.objects.filter(practice=practice)}
        if "Intake questionnaire" not in templates:
            templates["Intake questionnaire"] = documents.save_template(
                practice=practice, actor=admin, name="Intake questionnaire", title="New client intake questionnaire",
                intro="Please answer these questions before your first session. Your answers are confidential.",
                fields=[
                    Question(key="f1", label="Date of birth", kind=QuestionKind.DATE, required=True),
                    Question(key="f2", label="What would you like help with?", kind=QuestionKind.LONG_TEXT, required=True),
                    Question(key="f3", label="Which of these affect you now?", kind=QuestionKind.MULTI_CHOICE,
                             options=("Sleep", "Stress", "Low mood", "Worry", "Relationships", "Work")),
                    Question(key="f4", label="Have you been in therapy before?", kind=QuestionKind.YES_NO, required=True),
                    Question(key="f5", label="Emergency contact (name and phone)", kind=QuestionKind.SHORT_TEXT),
                    Question(key="f6", label="Signature", kind=QuestionKind.SIGNATURE),
                ]).template
        if "Telehealth consent" not in templates:
            templates["Telehealth consent"] = documents.save_template(
                practice=practice, actor=admin, name="Telehealth consent", title="Consent to telehealth services",
                fields=[
                    Question(key="f1", label="About telehealth", kind=QuestionKind.STATEMENT,
                             text="Sessions by secure video are not recorded. Technology can fail; if the call drops, "
                                  "your practitioner will call you back. In an emergency call 911."),
                    Question(key="f2", label="Where will you usually be during sessions?", kind=QuestionKind.CHOICE,
                             options=("Home", "Work", "Somewhere else"), required=True),
                    Question(key="f3", label="Initial to confirm you read the above", kind=QuestionKind.INITIALS,
                             required=True),
                    Question(key="f4", label="Signature", kind=QuestionKind.SIGNATURE),
                ]).template
        documents.save_package(practice=practice, name="New client intake",
                               templates=[templates["Intake questionnaire"], templates["Telehealth consent"]])

    def _meeting_soon(self, practice, users, services, rooms, contacts):
        """A video session of Dana Host with Casey Client starting within minutes, so Enter Meeting is
        live right after ``make run`` (the client joins with its access code at /join/)."""
        host = users["host@demo.test"]
        now = timezone.now()
        soon = Session.objects.filter(practitioner=host, delivery_method="video", status=SessionStatus.SCHEDULED,
                                      start__lte=now + timedelta(minutes=15), end__gt=now + timedelta(minutes=20))
        if soon.exists():
            return
        start = (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
        casey = contacts[host.email, "Casey Client"]
        for offset in range(0, 120, 10):  # the first free time from about ten minutes on
            try:
                session = schedule_session(practice=practice, actor=host, data=SessionData(
                    practitioner=host, start=start + timedelta(minutes=offset), duration_minutes=50, time_zone=TZ,
                    room=rooms["Secure Video"], delivery_method="video", services=[(services["90837"], services["90837"].price)],
                    participants=[ParticipantData(name=casey.name, invite_method=InviteMethod.NONE, time_zone=casey.time_zone,
                                                  contact=casey, client=casey.client,
                                                  document_package=DocumentPackage.objects.filter(
                                                      practice=practice, name="New client intake").first())],
                    public_note="A demo video session: Enter Meeting from the dashboard, then join with the access code.",
                ))
            except DomainError:
                continue
            self.stdout.write(f"Video session soon: {timezone.localtime(session.start, zoneinfo.ZoneInfo(TZ)):%H:%M} "
                              f"(access code {session.access_code}).")
            return

    def _cancellation_policy(self, practice):
        """Late Cancel at half the fee inside 24 hours; reschedules follow the same notice."""
        if CancellationPolicy.objects.filter(practice=practice).exists():
            return
        late, _ = CompletionType.objects.get_or_create(practice=practice, label="Late Cancel", defaults={
            "map_status": SessionStatus.CANCELED, "client_modifier": 50, "practitioner_modifier": 50,
            "modifier_type": ModifierType.PERCENT,
            "description": "Canceled by the client inside the notice: half the fee and half the wages."})
        policy.save_settings(practice=practice, notice_hours=24, inside=LateCancelAction.LATE_CANCEL, kind=late,
                             reschedule_follows=True, note="Your practitioner keeps this time for you alone.")

    def _series(self, practice, users, services, rooms, contacts):
        """A never-ending weekly evening group for host2 (Thursdays 18:00)."""
        zone = zoneinfo.ZoneInfo(TZ)
        today = timezone.localdate(timezone=zone)
        thursday = today + timedelta(days=(3 - today.weekday()) % 7 or 7)
        group = services["90853"]
        people = [contacts["host2@demo.test", n] for n in ("Jordan Lee", "Priya Shah", "Alex Moreno")]
        create_series(
            practice=practice, actor=users["host2@demo.test"], today=today,
            repeat={"preset": "weekly", "enabled": True},
            data=SessionData(
                practitioner=users["host2@demo.test"], start=datetime.combine(thursday, time(18, 0), tzinfo=zone),
                duration_minutes=group.duration_minutes, time_zone=TZ, room=rooms["Room 2"],
                services=[(group, group.price)], public_note="Evening skills group.",
                participants=[
                    ParticipantData(name=c.name, invite_method=c.invite_method, time_zone=c.time_zone, email=c.email,
                                    phone=c.phone, contact=c)
                    for c in people
                ],
            ),
        )

    def _sessions(self, practice, users, services, rooms, contacts):
        zone = zoneinfo.ZoneInfo(TZ)
        today = timezone.localdate(timezone=zone)
        monday = today - timedelta(days=today.weekday() + 7)
        plans = {
            "host@demo.test": [(9, 0, "90837", "Room 1"), (11, 0, "90834", "Secure Video"), (14, 0, "90837", "Room 1")],
            "host2@demo.test": [(10, 0, "90834", "Room 2"), (13, 30, "90791", "Room 2"), (16, 0, "90837", "Secure Video")],
        }
        names = [c[0] for c in CONTACTS]
        count = 0
        for day_index in range(28):
            day: date = monday + timedelta(days=day_index)
            if day.weekday() >= 5:
                continue
            for host, slots in plans.items():
                for slot_index, (hour, minute, code, room_name) in enumerate(slots):
                    room = rooms[room_name]
                    group = host == "host@demo.test" and day.weekday() == 2 and slot_index == 2
                    service = services["90853" if group else code]
                    people = names[:3] if group else [names[(day_index + slot_index) % len(names)]]
                    participants = [
                        ParticipantData(
                            name=contact.name, invite_method=contact.invite_method, time_zone=contact.time_zone,
                            email=contact.email, phone=contact.phone, contact=contact, client=contact.client,
                        )
                        for contact in (contacts[host, n] for n in people)
                    ]
                    schedule_session(
                        practice=practice,
                        actor=users[host],
                        data=SessionData(
                            practitioner=users[host],
                            start=datetime.combine(day, time(hour, minute), tzinfo=zone),
                            duration_minutes=service.duration_minutes,
                            time_zone=TZ,
                            room=room,
                            delivery_method="video" if not room.is_in_person else "in_person",
                            services=[(service, service.price)],
                            participants=participants,
                            public_note="Please arrive five minutes early." if room.is_in_person else "",
                        ),
                    )
                    count += 1
        return count
