"""A real coturn (Debian's ``coturn`` package) for the tests, with the TURN REST API's shared secret
(``use-auth-secret``): the time-limited credentials ``meetings.ice_servers`` hands out must work on it.

It listens on the first non-loopback IPv4 address (browsers do not use loopback candidates), with
a small relay port range, no TLS and no database.
"""
import shutil
import socket
import subprocess
import time
from pathlib import Path

from sessions_app.tests import network

SECRET = "test-coturn-static-auth-secret"


def address() -> str | None:
    """The first IPv4 address of this machine other than loopback."""
    found = network.first_interface()
    return found[1] if found else None


def unavailable() -> str | None:
    if not shutil.which("turnserver"):
        return "the turnserver binary is not installed (Debian package coturn; .ci/run installs it)"
    if not address():
        return "no IPv4 address besides loopback for the TURN server to relay on"
    return None


def _free_udp_port(host) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def start_turn(folder: Path):
    """Start turnserver; returns ``(process, turn_url)`` once it listens."""
    folder.mkdir(parents=True, exist_ok=True)
    host = address()
    port = _free_udp_port(host)
    log = folder / "turn.log"
    process = subprocess.Popen([
        "turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls", "--listening-ip", host, "--relay-ip", host,
        "--listening-port", str(port), "--min-port", "49160", "--max-port", "49360", "--realm", "practice.test",
        "--use-auth-secret", "--static-auth-secret", SECRET, "--fingerprint", "--no-multicast-peers",
        "--pidfile", str(folder / "turn.pid"), "--log-file", str(log), "--simple-log",
    ], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"turnserver exited with {process.returncode}: {log.read_text()[-2000:] if log.exists() else ''}")
        if _listening(host, port):
            return process, f"turn:{host}:{port}?transport=udp"
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("turnserver did not start listening")


def _listening(host, port) -> bool:
    out = subprocess.run(["ss", "-uln"], capture_output=True, text=True).stdout
    return f"{host}:{port}" in out


def stop_turn(process):
    network.stop(process)
