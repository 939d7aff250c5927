
"""Payment terms move from the participant row to billing's own PaymentRequest.

Every participant who had to pay (any state but "not_required") gets one
request carrying the same service, amount, state and running totals; nothing
else changes. The reverse copies them back. The ledger trigger also names
itself, so a refusal maps to a plain message (practice.errors).
"""
import django.db.models.deletion
from django.db import migrations, models

FIELDS = ("amount", "state", "paid_amount", "refunded_amount")


def copy_terms(apps, schema_editor):
    Participant = apps.get_model("sessions_app", "Participant")
    PaymentRequest = apps.get_model("billing", "PaymentRequest")
    owing = Participant.objects.exclude(payment_state="not_required").select_related("session")
    PaymentRequest.objects.bulk_create(
        PaymentRequest(practice_id=p.session.practice_id, participant=p, service_id=p.payment_service_id,
                       amount=p.payment_amount or p.paid_amount, state=p.payment_state, paid_amount=p.paid_amount,
                       refunded_amount=p.refunded_amount)
        for p in owing.iterator()
    )


def copy_back(apps, schema_editor):
    Participant = apps.get_model("sessions_app", "Participant")
    PaymentRequest = apps.get_model("billing", "PaymentRequest")
    for request in PaymentRequest.objects.iterator():
        Participant.objects.filter(pk=request.participant_id).update(
            payment_service_id=request.service_id, payment_amount=request.amount, payment_state=request.state,
            paid_amount=request.paid_amount, refunded_amount=request.refunded_amount)


NAMED_TRIGGER = """
CREATE OR REPLACE FUNCTION billing_ledger_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('billing.purge_ledger', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the ledger is append-only: % is not allowed on billing_ledgerentry', TG_OP
        USING ERRCODE = 'restrict_violation', CONSTRAINT = 'ledger_append_only';
END;
$$ LANGUAGE plpgsql;
"""

UNNAMED_TRIGGER = NAMED_TRIGGER.replace(", CONSTRAINT = 'ledger_append_only'", "")


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0003_payment_refund_stripeevent'),
        ('practice', '0004_practice_stripe_account_id_and_more'),
        ('sessions_app', '0005_participant_paid_amount_participant_payment_amount_and_more'),
    ]

    operations = [
        migrations.CreateModel(
            name='PaymentRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=10, verbose_name='Payment Required')),
                ('state', models.CharField(choices=[('required', 'Payment required'), ('paid', 'Paid in full'), ('partly_refunded', 'Partly refunded'), ('refunded', 'Refunded')], default='required', max_length=20)),
                ('paid_amount', models.DecimalField(decimal_places=2, default=0, max_digits=10)),
                ('refunded_amount', models.DecimalField(decimal_places=2, default=0, max_digits=10)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('participant', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='payment_request', to='sessions_app.participant')),
                ('practice', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='practice.practice')),
                ('service', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='practice.service')),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='payment_request_amount_positive')],
            },
        ),
        migrations.RunPython(copy_terms, copy_back),
        migrations.RunSQL(NAMED_TRIGGER, UNNAMED_TRIGGER),
    ]
