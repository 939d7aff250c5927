from decimal import Decimal

import factory

from billing.models import PaymentRequest, PaymentState


class PaymentRequestFactory(factory.django.DjangoModelFactory):
    """A participant who must pay ("Click here to require Payment")."""

    class Meta:
        model = PaymentRequest

    practice = factory.LazyAttribute(lambda o: o.participant.session.practice)
    amount = Decimal("150.00")
    state = PaymentState.REQUIRED
