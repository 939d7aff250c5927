import zoneinfo
from datetime import datetime, time, timedelta
from decimal import Decimal

import factory

from practice.models import Membership, Practice, Role, Room, RoomKind, Service, User
from sessions_app.models import Contact, InviteMethod, Participant, Session, SessionService

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
    """A session; by default a week from now at 10:00 New York time, 50 minutes, with no participants or services.

    Parameters (none is a model field):

    - ``cast=world.home``: anything with ``.practice`` and ``.practitioner``; the session is theirs
      (an explicit ``practice=`` or ``practitioner=`` still wins).
    - ``hour`` (10) and ``days_ahead`` (7), or ``day`` (a date): when it starts, as a wall time in ``time_zone``;
      ``past=True`` means three days ago. An explicit ``start=`` wins; ``minutes`` (50) sets the end.
    - ``services=[service, (service, price), ...]``: one SessionService each, in that order, at the
      service's price unless one is given.
    - ``clients=["Jamie Rivera", {"name": ..., "client": user}, ...]`` or ``clients=3``: one client
      participant per name (or that many with made-up names); ``clients__<field>=...`` applies to each,
      e.g. ``clients__client=world.home.client`` or ``clients__contact=world.home.contact``.
    """

    class Meta:
        model = Session
        skip_postgeneration_save = True

    class Params:
        cast = None
        hour = 10
        days_ahead = 7
        day = None
        minutes = 50
        past = factory.Trait(days_ahead=-3)

    practice = factory.Maybe("cast", factory.SelfAttribute("cast.practice"), factory.SubFactory(PracticeFactory))
    practitioner = factory.Maybe("cast", factory.SelfAttribute("cast.practitioner"), factory.SubFactory(UserFactory))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=o.minutes))
    time_zone = "America/New_York"

    @factory.lazy_attribute
    def start(self):
        if self.day is not None:
            return datetime.combine(self.day, time(self.hour), tzinfo=zoneinfo.ZoneInfo(self.time_zone))
        return next_weekday_at(self.hour, zone=self.time_zone, days_ahead=self.days_ahead)

    @factory.post_generation
    def services(session, create, extracted, **kwargs):
        if not create:
            return
        for position, item in enumerate(extracted or ()):
            service, price = item if isinstance(item, tuple) else (item, None)
            fields = {"price": price} if price is not None else {}
            SessionServiceFactory.create(session=session, service=service, position=position, **fields, **kwargs)

    @factory.post_generation
    def clients(session, create, extracted, **kwargs):
        if not create:
            return
        if isinstance(extracted, int):
            ParticipantFactory.create_batch(extracted, session=session, **kwargs)
            return
        for item in extracted or ():
            fields = {"name": item} if isinstance(item, str) else dict(item)
            ParticipantFactory.create(session=session, **{**kwargs, **fields})


class SessionServiceFactory(factory.django.DjangoModelFactory):
    """A service performed in a session, at the service's own price unless ``price=`` is given."""

    class Meta:
        model = SessionService

    session = factory.SubFactory(SessionFactory)
    service = factory.SubFactory(ServiceFactory, practice=factory.SelfAttribute("..session.practice"))
    price = factory.LazyAttribute(lambda o: o.service.price)


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    session = factory.SubFactory(SessionFactory)
    name = factory.Faker("name")
    invite_method = InviteMethod.EMAIL
    email = factory.Sequence(lambda n: f"participant{n}@example.com")
    time_zone = "America/Chicago"
