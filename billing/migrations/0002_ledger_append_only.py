from django.db import migrations

# The ledger is append-only: the database itself refuses to change or remove a line.
# The one way round it is deliberate and visible: a maintenance session (removing
# a whole test or benchmark practice) sets billing.purge_ledger = 'on' for its
# transaction. TRUNCATE, used only by the test runner to reset tables, is left alone.
FORBID = """
CREATE OR REPLACE FUNCTION billing_ledger_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('billing.purge_ledger', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the ledger is append-only: % is not allowed on billing_ledgerentry', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER billing_ledger_no_update BEFORE UPDATE OR DELETE ON billing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION billing_ledger_append_only();
"""

ALLOW = """
DROP TRIGGER IF EXISTS billing_ledger_no_update ON billing_ledgerentry;
DROP FUNCTION IF EXISTS billing_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
