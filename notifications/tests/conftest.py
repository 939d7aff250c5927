import psycopg2
import pytest
from django.db import connection

from notifications import channels


@pytest.fixture
def database_drops_during_send(monkeypatch):
    """Each send first has PostgreSQL end this worker's connection (as a restart or failover would),
    then sends: the record after it must reconnect."""
    real_send = channels.send

    def send_while_the_database_drops_us(notification, senders):
        backend = connection.connection.get_backend_pid()
        with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        other.close()
        return real_send(notification, senders)

    monkeypatch.setattr(channels, "send", send_while_the_database_drops_us)
