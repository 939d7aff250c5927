import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

import factory

from practice.models import Membership, Practice, Role, Room, RoomKind, Service, User
from sessions_app.models import Contact, InviteMethod, Participant, Session

PASSWORD = "test-pass-2026"


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")
    slug = factory.Sequence(lambda n: f"practice-{n}")
    time_zone = "America/New_York"
    support_name = "Tech Support"
    support_email = "support@example.com"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    time_zone = "America/New_York"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    practice = factory.SubFactory(PracticeFactory)
    role = Role.PRACTITIONER


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    practice = factory.SubFactory(PracticeFactory)
    cpt_code = "90837"
    name = factory.Sequence(lambda n: f"Psychotherapy {n}")
    price = Decimal("150.00")
    duration_minutes = 60


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    practice = factory.SubFactory(PracticeFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    kind = RoomKind.IN_PERSON


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    practice = factory.SubFactory(PracticeFactory)
    owner = factory.SubFactory(UserFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    time_zone = "America/Chicago"
    invite_method = InviteMethod.EMAIL


def next_weekday_at(hour, minute=0, zone="America/New_York", days_ahead=7):
    local = datetime.now(zoneinfo.ZoneInfo(zone)) + timedelta(days=days_ahead)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    practice = factory.SubFactory(PracticeFactory)
    practitioner = factory.SubFactory(UserFactory)
    start = factory.LazyFunction(lambda: next_weekday_at(10))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=50))
    time_zone = "America/New_York"


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    session = factory.SubFactory(SessionFactory)
    name = factory.Faker("name")
    invite_method = InviteMethod.EMAIL
    email = factory.Sequence(lambda n: f"participant{n}@example.com")
    time_zone = "America/Chicago"
