# The payment terms of a participant moved to billing.PaymentRequest (copied there by
# billing 0004 before these columns go).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sessions_app', '0005_participant_paid_amount_participant_payment_amount_and_more'),
        ('billing', '0004_payment_request'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='participant',
            name='participant_payment_amount_positive',
        ),
        migrations.RemoveField(
            model_name='participant',
            name='paid_amount',
        ),
        migrations.RemoveField(
            model_name='participant',
            name='payment_amount',
        ),
        migrations.RemoveField(
            model_name='participant',
            name='payment_service',
        ),
        migrations.RemoveField(
            model_name='participant',
            name='payment_state',
        ),
        migrations.RemoveField(
            model_name='participant',
            name='refunded_amount',
        ),
    ]
