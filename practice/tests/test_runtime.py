"""The runtime: a real Celery worker on the real Redis, the embedded servers, deploy checks."""
import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest
import redis
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from practice import embedded
from practice import settings as project_settings
from practice.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


def embedded_env(var_dir, **extra):
    """This process's environment without DATABASE_URL / REDIS_URL (so: the embedded servers),
    with VAR_DIR set."""
    dropped = {"DATABASE_URL", "REDIS_URL", "DATABASE_NAME", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**{k: v for k, v in os.environ.items() if k not in dropped}, "VAR_DIR": str(var_dir), **extra}


def processes_mentioning(*paths):
    """Processes whose command line names one of the paths (PostgreSQL names its data and socket
    directories, Redis its socket)."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if any(str(path) in cmdline for path in paths):
            found.append((process.info["pid"], cmdline))
    return found


def embedded_paths(var_dir):
    return var_dir, embedded.postgres_settings(var_dir)["HOST"], embedded.redis_url(var_dir).removeprefix("unix://")


def run(args, env):
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


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
    url = embedded.start_redis(tmp_path)
    try:
        assert url.startswith("unix://")
        assert url == embedded.redis_url(tmp_path)  # where the settings, which start nothing, look
        client = redis.Redis.from_url(url)
        client.set("k", "v")
        assert embedded.start_redis(tmp_path) == url  # second call finds the running server
        assert redis.Redis.from_url(url).get("k") == b"v"
    finally:
        pid = int((tmp_path / "redis" / "redis.pid").read_text())
        os.kill(pid, signal.SIGTERM)


@pytest.mark.integration
def test_embedded_postgresql_starts_under_the_given_folder(tmp_path):
    import psycopg2

    params = embedded.start_postgres(tmp_path)
    try:
        assert params == embedded.postgres_settings(tmp_path)  # where the settings, which start nothing, look
        conn = psycopg2.connect(dbname=params["NAME"], user=params["USER"], host=params["HOST"])
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT current_setting('data_directory')")
            assert cursor.fetchone()[0] == str(tmp_path / "postgres")
        conn.close()
    finally:
        embedded.stop_all(tmp_path)


def test_importing_the_settings_starts_no_server_and_takes_no_lock(tmp_path):
    var = tmp_path / "var"
    code = (
        "import json, practice.settings as s; "
        "print(json.dumps({'database': s.DATABASES['default'], 'redis': s.REDIS_URL, 'broker': s.CELERY_BROKER_URL}))"
    )
    try:
        result = run([sys.executable, "-c", code], embedded_env(var))
        assert result.returncode == 0, result.stderr
        assert not var.exists()  # no lock file, no data directory
        assert list(tmp_path.iterdir()) == []
        assert processes_mentioning(*embedded_paths(var)) == []
        # ...and yet the settings describe the embedded servers the entry points start.
        described = json.loads(result.stdout.splitlines()[-1])
        assert described["database"] == {**embedded.postgres_settings(var), "CONN_HEALTH_CHECKS": True}
        assert described["redis"] == embedded.redis_url(var)
        assert described["broker"] == embedded.redis_url(var).replace("unix://", "redis+socket://")
    finally:
        embedded.stop_all(var)  # only if something started them after all


@pytest.mark.parametrize("name", ["DEBUG", "EMAIL_USE_TLS"])
@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_a_malformed_boolean_is_refused_by_name(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        project_settings.env_bool(name, True)


def test_the_settings_refuse_a_malformed_debug(tmp_path):
    result = run([sys.executable, "-c", "import practice.settings"], embedded_env(tmp_path / "var", DEBUG="maybe"))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DEBUG='maybe'" in result.stderr


@pytest.mark.parametrize("value, expected", [
    ("1", True), ("TRUE", True), (" yes ", True), ("On", True),
    ("0", False), ("false", False), ("NO", False), ("off", False),
    ("", "default"), ("  ", "default"), (None, "default"),
])
def test_booleans_read_from_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("PRACTICE_FLAG", raising=False)
    else:
        monkeypatch.setenv("PRACTICE_FLAG", value)
    assert project_settings.env_bool("PRACTICE_FLAG", "default") == expected


def test_a_long_var_dir_puts_the_sockets_under_tmp(tmp_path):
    var = tmp_path / ("a-long-folder-name-" * 4) / "var"
    host = embedded.postgres_settings(var)["HOST"]
    assert host.startswith("/tmp/practice-pg-") and len(f"{host}/.s.PGSQL.5432") <= embedded.UNIX_PATH_MAX
    assert embedded.postgres_settings(var) == embedded.postgres_settings(var)  # same answer every time
    assert embedded.redis_url(var).startswith("unix:///tmp/practice-redis-")


@pytest.mark.integration
def test_manage_py_starts_the_embedded_servers_and_help_does_not(tmp_path):
    import psycopg2

    # A VAR_DIR too long for a socket inside it: both servers listen under /tmp, where the
    # settings computed they would before anything started.
    var = tmp_path / ("a-long-folder-name-" * 4) / "var"
    params = embedded.postgres_settings(var)
    env = embedded_env(var)
    try:
        for command in (["help"], ["--version"], ["migrate", "--help"]):
            result = run([sys.executable, "manage.py", *command], env)
            assert result.returncode == 0, result.stderr
        assert not var.exists()
        assert processes_mentioning(*embedded_paths(var)) == []

        result = run([sys.executable, "manage.py", "check"], env)
        assert result.returncode == 0, result.stdout + result.stderr
        conn = psycopg2.connect(dbname=params["NAME"], user=params["USER"], host=params["HOST"])
        with conn, conn.cursor() as cursor:
            cursor.execute("SELECT current_setting('data_directory')")
            assert cursor.fetchone()[0] == str((var / "postgres").resolve())
        conn.close()
        assert redis.Redis.from_url(embedded.redis_url(var)).ping()
    finally:
        embedded.stop_all(var)
        if params["HOST"].startswith("/tmp/practice-pg-"):
            shutil.rmtree(params["HOST"], ignore_errors=True)


def test_celery_worker_and_beat_start_the_embedded_servers_and_the_import_does_not(tmp_path):
    """`celery -A practice worker|beat` start the servers when Celery imports the task
    modules (the import_modules signal), before they connect; importing the app does not."""
    code = (
        "from practice import embedded\n"
        "embedded.ensure_started = lambda environ=None: print('ensure_started')\n"
        "from practice.celery import app\n"
        "app.conf.broker_url\n"
        "print('imported')\n"
        "app.loader.init_worker()\n"
    )
    try:
        result = run([sys.executable, "-c", code], embedded_env(tmp_path / "var", CELERY_SKIP_CHECKS="1"))
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["imported", "ensure_started"]
    finally:
        embedded.stop_all(tmp_path / "var")  # only if something started them after all


def test_production_settings_pass_check_deploy():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # set by the browser tests
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "practice.example.com",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "EMAIL_HOST": "smtp.example.com",
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
