"""This machine's network, for the tests that run real media servers (Janus, coturn) beside Chromium,
and stopping those servers.

Neither gathers ICE candidates on loopback, so they listen on the first interface with an IPv4
address other than loopback (``ip -4 -o addr show scope global``, from Debian's iproute2).
"""
import subprocess


def first_interface() -> tuple[str, str] | None:
    """(interface name, IPv4 address) of the first non-loopback interface, or None."""
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        fields = line.split()
        if len(fields) > 3 and "inet" in fields:
            return fields[1], fields[fields.index("inet") + 1].split("/")[0]
    return None


def stop(process):
    """Stop a server the tests started: politely, then for good."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
