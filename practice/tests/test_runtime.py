"""The runtime: a real Celery worker on the real Redis, the embedded servers, deploy checks."""
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from practice import embedded
from practice.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
def test_a_real_celery_worker_runs_a_task():
    from practice.celery import app

    app.conf.task_always_eager = False  # this test is about the real worker
    queue = f"test-{uuid.uuid4().hex[:8]}"  # only this test's worker listens here
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "practice", "worker", "--pool=solo", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "-Q", queue, "-n", f"{queue}@%h"],
        cwd=ROOT, env={**os.environ}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        token = uuid.uuid4().hex
        result = ping.apply_async(args=[token], queue=queue)
        assert result.get(timeout=60) == f"pong:{token}"
        assert result.state == "SUCCESS" and result.backend.get_task_meta(result.id)["status"] == "SUCCESS"
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_the_broker_is_a_real_redis():
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert client.ping()
    assert client.info("server")["redis_version"]


@pytest.mark.django_db
def test_the_database_is_a_real_postgresql_in_utc():
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_setting('TimeZone')")
        version, zone = cursor.fetchone()
    assert version.startswith("PostgreSQL")
    assert zone == "UTC"


def test_embedded_redis_starts_and_is_found_again(tmp_path):
    url = embedded.redis_url(tmp_path)
    try:
        assert url.startswith("unix://")
        client = redis.Redis.from_url(url)
        client.set("k", "v")
        assert embedded.redis_url(tmp_path) == url  # second call finds the running server
        assert redis.Redis.from_url(url).get("k") == b"v"
    finally:
        pid = int((tmp_path / "redis" / "redis.pid").read_text())
        os.kill(pid, signal.SIGTERM)


@pytest.mark.integration
def test_embedded_postgresql_starts_under_the_given_folder(tmp_path):
    import psycopg2

    params = embedded.postgres_settings(tmp_path)
    try:
        conn = psycopg2.connect(dbname=params["NAME"], user=params["USER"], host=params["HOST"])
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT current_setting('data_directory')")
            assert cursor.fetchone()[0] == str(tmp_path / "postgres")
        conn.close()
    finally:
        embedded.stop_all(tmp_path)


def test_production_settings_pass_check_deploy():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # set by the browser tests
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "practice.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env={**env, "DEBUG": "0"},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
