"""Issue 11, item 13: after PostgreSQL drops a web worker's persistent connection, the worker's next
request reconnects (CONN_HEALTH_CHECKS) instead of answering one 500."""
import io
import os
import subprocess
import sys
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import psycopg2
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.urls import reverse

from practice.tests.factories import ParticipantFactory, SessionFactory

ROOT = Path(__file__).resolve().parents[2]


def serve(handler, path):
    """One request through Django's WSGI handler in this thread, as a sync gunicorn worker serves it
    (request_started / request_finished fire, and with them close_old_connections)."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "HTTP_HOST": "testserver", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    status = []
    body = handler(environ, lambda line, headers, exc_info=None: status.append(line))
    try:
        b"".join(body)
    finally:
        body.close()
    return int(status[0].split()[0])


@pytest.fixture
def persistent_connections():
    """Connections kept between requests, as with DATABASE_URL (conn_max_age=60); the embedded default keeps none."""
    previous = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 60
    connection.close()
    yield
    connection.settings_dict["CONN_MAX_AGE"] = previous
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_the_request_after_postgresql_dropped_the_connection_answers_200(world, persistent_connections):
    from billing import payments

    participant = ParticipantFactory(session=SessionFactory(practice=world.home.practice, practitioner=world.home.practitioner))
    path = reverse("billing:pay", args=[payments.payment_token(participant)])
    handler = WSGIHandler()
    assert serve(handler, path) == 200
    backend = connection.connection.get_backend_pid()  # kept open for the next request
    with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        assert cursor.fetchone() == (True,)
    other.close()
    assert serve(handler, path) == 200
    assert connection.connection.get_backend_pid() != backend


@pytest.mark.parametrize("database_url", ["postgres://postgres@127.0.0.1:5432/practice", ""])
def test_health_checks_are_on_with_a_database_url_and_with_the_embedded_server(database_url):
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("DATABASE_NAME", None)
    out = subprocess.run(
        [sys.executable, "-c", "import practice.settings as s; d = s.DATABASES['default'];"
                               "print(d.get('CONN_HEALTH_CHECKS', False), d.get('CONN_MAX_AGE', 0))"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert out == ["True", "60" if database_url else "0"]
