"""The drain's statements, prepared once per database connection (issue 17): one claims a message
and records the one sent before it; the other records a message sent last in its batch.

Planning the claim (four tables joined, every column of each) took PostgreSQL longer than running
it; a prepared statement is planned once per connection and then only executed. ``Prepared``
keeps, per thread (Django's connections are per thread), the raw connection it prepared on: after
a reconnect (a new raw connection) it prepares again. PREPARE is not undone by a rollback, so a
test's transaction does not lose it either.
(Behind a connection pooler in transaction mode, prepared statements do not work: this project
connects to PostgreSQL directly, as DESIGN.md says.)
"""
import threading

from django.db import connection
from django.db.models.expressions import Col

from notifications.models import Notification, State


class Prepared:
    """``sql`` with PostgreSQL's $1, $2... parameters of ``types``, prepared as ``name`` on first use
    on each connection and executed by name."""

    def __init__(self, name: str, types: tuple[str, ...], sql: str):
        self.name, self.sql = name, sql
        self.types = ", ".join(types)
        self.execute_sql = f"EXECUTE {name} ({', '.join(['%s'] * len(types))})"
        self._local = threading.local()

    def execute(self, cursor, params):
        """Run the statement with ``params`` on ``cursor`` (a cursor of ``connection``)."""
        if getattr(self._local, "prepared_on", None) is not connection.connection:
            # Once per connection: a statement of this name left by an earlier instance is replaced.
            cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = %s)", [self.name])
            if cursor.fetchone()[0]:
                cursor.execute(f"DEALLOCATE {self.name}")
            cursor.execute(f"PREPARE {self.name} ({self.types}) AS {self.sql}")
            self._local.prepared_on = connection.connection
        cursor.execute(self.execute_sql, params)


class ClaimStatement:
    """One statement that claims one of a batch's ids and reads it back with its session,
    participant and practice, as ``select_related`` would, but in the claim's round trip.

    ``FOR UPDATE SKIP LOCKED`` picks a due PENDING row no other drain holds, first in the batch's
    order (the batch was read in (due_at, id) order; ordering by the position in it makes PostgreSQL
    fetch the batch's rows by primary key instead of walking the pending index from its head, past
    the entries of every row claimed since the last vacuum), the UPDATE makes it SENDING (committed
    on its own: autocommit), and the outer SELECT joins the session as it is at that moment, so the
    stale check judges the session it would have read in a claim transaction. The SQL is built once
    per process from the models' fields; values go through the fields' own converters (the
    practice's encrypted Twilio token included).
    """

    def __init__(self):
        notification = Notification._meta
        self.parts = [(Notification, None)] + [
            (notification.get_field(name).related_model, notification.get_field(name)) for name in ("session", "participant", "practice")
        ]
        self._converter_list = None
        quote = connection.ops.quote_name
        table = quote(notification.db_table)
        columns, joins = [], []
        for index, (model, link) in enumerate(self.parts):
            alias = "claimed" if link is None else f"r{index}"
            columns += [f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields]
            if link is not None:
                joins.append(f"LEFT JOIN {quote(model._meta.db_table)} {alias} "
                             f"ON {alias}.{quote(model._meta.pk.column)} = claimed.{quote(link.column)}")
        returning = ", ".join(f"n.{quote(field.column)}" for field in notification.concrete_fields)
        # $1 the batch's ids, $2 pending, $3 sending, $4 now; the message sent before it, recorded in the
        # same statement: $5 its id (NULL: none), $6 the provider's id, $7 sent, $8 its claim's time.
        self.statement = Prepared(
            "notification_claim", ("bigint[]", "text", "text", "timestamptz", "bigint", "text", "text", "timestamptz"), f"""
WITH recorded AS (
    UPDATE {table}
    SET state = $7, sent_at = $4, provider_id = $6, last_error = '', updated_at = $4
    WHERE id = $5 AND state = $3 AND claimed_at = $8
    RETURNING id
), next AS (
    SELECT id FROM {table}
    WHERE id = ANY($1) AND state = $2 AND due_at <= $4
    ORDER BY array_position($1, id) LIMIT 1
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE {table} AS n
    SET state = $3, claimed_at = $4, attempts = n.attempts + 1, updated_at = $4
    FROM next WHERE n.id = next.id
    RETURNING {returning}
)
SELECT (SELECT count(*) FROM recorded), {", ".join(columns)}
FROM (VALUES (1)) AS one (x) LEFT JOIN claimed ON true {" ".join(joins)}""")

    def _converters(self):
        """(position, column, converters) for each value a field converts when read (as Django's compiler
        does); worked out once."""
        if self._converter_list is not None:
            return self._converter_list
        result, position = [], 0
        for model, _link in self.parts:
            for field in model._meta.concrete_fields:
                column = Col(model._meta.db_table, field)
                converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if converters:
                    result.append((position, column, converters))
                position += 1
        self._converter_list = result
        return result

    def run(self, ids, now, sent=None) -> tuple[Notification | None, int]:
        """(the claimed row or None, how many rows the record of ``sent`` changed: 0 or 1).

        ``sent``: (a message this worker claimed and sent, the provider's id), recorded SENT by the same
        statement, or None.
        """
        record = [sent[0].pk, sent[1][:100], State.SENT, sent[0].claimed_at] if sent else [None, None, State.SENT, None]
        with connection.cursor() as cursor:
            self.statement.execute(cursor, [list(ids), State.PENDING, State.SENDING, now, *record])
            recorded, *values = cursor.fetchone()
        if values[0] is None:  # the claimed row's id: nothing was left to claim
            return None, recorded
        for position, column, converters in self._converters():
            for converter in converters:
                values[position] = converter(values[position], column, connection)
        instances, offset = [], 0
        for model, _link in self.parts:
            fields = model._meta.concrete_fields
            chunk = values[offset:offset + len(fields)]
            offset += len(fields)
            if chunk[[f.primary_key for f in fields].index(True)] is None:
                instances.append(None)  # no such related row (LEFT JOIN)
            else:
                instances.append(model.from_db(connection.alias, [f.attname for f in fields], chunk))
        notification = instances[0]
        for (_model, link), related in zip(self.parts[1:], instances[1:], strict=True):
            link.set_cached_value(notification, related)
        return notification, recorded


# The record of a message sent last in its batch (the others are recorded by the next claim).
# $1 id, $2 the claim's time (only the worker that claimed it records it), $3 now, $4 the provider's id.
RECORD_SENT = Prepared("notification_sent", ("bigint", "timestamptz", "timestamptz", "text"), f"""
UPDATE {connection.ops.quote_name(Notification._meta.db_table)}
SET state = '{State.SENT}', sent_at = $3, provider_id = $4, last_error = '', updated_at = $3
WHERE id = $1 AND state = '{State.SENDING}' AND claimed_at = $2""")


def record_sent(notification, now, provider_id) -> int:
    """Mark a claimed message SENT (one prepared statement, committed on its own); the rows changed."""
    with connection.cursor() as cursor:
        RECORD_SENT.execute(cursor, [notification.pk, notification.claimed_at, now, provider_id[:100]])
        return cursor.rowcount
