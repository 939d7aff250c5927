"""A real Janus (Debian's ``janus`` package) for the tests: the VideoRoom plugin and the HTTP API only.

``start_janus(folder)`` writes a configuration into ``folder``, starts ``janus`` on a free port on
127.0.0.1 and returns ``(process, url)`` once the API answers. ``unavailable()`` says why it cannot
run here (no binary, no network interface besides loopback), or None.

Janus gathers ICE candidates on the machine's network interfaces but never on loopback, so the
browser reaches it over the first non-loopback IPv4 interface (``ice_enforce_list``): both run
on this machine, and the media still crosses a real interface with DTLS-SRTP.
"""
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from sessions_app import janus
from sessions_app.tests import network

ADMIN_KEY = "test-janus-admin-key"
PLUGINS = "/usr/lib/x86_64-linux-gnu/janus"
UNUSED_PLUGINS = ("audiobridge", "duktape", "echotest", "lua", "nosip", "recordplay", "sip", "streaming",
                  "textroom", "videocall", "voicemail")
UNUSED_TRANSPORTS = ("mqtt", "nanomsg", "pfunix", "rabbitmq", "websockets")


def interface() -> str | None:
    """The name of the first network interface with an IPv4 address other than loopback."""
    found = network.first_interface()
    return found[0] if found else None


def unavailable() -> str | None:
    binary = shutil.which("janus")
    if not binary:
        return "the janus binary is not installed (Debian package janus; .ci/run installs it)"
    if not Path(PLUGINS, "plugins", "libjanus_videoroom.so").exists():
        return f"Janus's VideoRoom plugin is not in {PLUGINS}/plugins"
    if not interface():
        return "no network interface besides loopback: Janus gathers no ICE candidate on loopback"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_config(folder: Path, port: int, nic: str):
    disabled_plugins = ",".join(f"libjanus_{name}.so" for name in UNUSED_PLUGINS)
    disabled_transports = ",".join(f"libjanus_{name}.so" for name in UNUSED_TRANSPORTS)
    (folder / "janus.jcfg").write_text(f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{PLUGINS}/plugins"
    transports_folder = "{PLUGINS}/transports"
    events_folder = "{PLUGINS}/events"
    loggers_folder = "{PLUGINS}/loggers"
    debug_level = 4
}}
nat: {{
    ice_enforce_list = "{nic}"
}}
plugins: {{
    disable = "{disabled_plugins}"
}}
transports: {{
    disable = "{disabled_transports}"
}}
loggers: {{
    disable = "libjanus_jsonlog.so"
}}
""")
    # Rooms are created through the API with this key only (JANUS_ADMIN_SECRET); none is static.
    (folder / "janus.plugin.videoroom.jcfg").write_text(f'general: {{\n    admin_key = "{ADMIN_KEY}"\n}}\n')
    (folder / "janus.transport.http.jcfg").write_text(f"""general: {{
    json = "compact"
    base_path = "/janus"
    http = true
    port = {port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_http = false
}}
""")


def start_janus(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    _write_config(folder, port, interface())
    log = folder / "janus.log"
    process = subprocess.Popen(["janus", "-F", str(folder), "-N", "-o", "-L", str(log)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/janus"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"janus exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            request = urllib.request.Request(url, data=json.dumps({"janus": "info", "transaction": "t"}).encode(),
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=2) as answer:
                info = json.loads(answer.read())
            if janus.PLUGIN in info.get("plugins", {}):
                return process, url
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"janus did not answer on {url}: {log.read_text()[-2000:] if log.exists() else ''}")


def stop_janus(process):
    network.stop(process)
