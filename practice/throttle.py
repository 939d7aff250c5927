"""Counting tries in Redis, and the one rule for which address a request comes from.

Used by every anonymous entry point that can be guessed at: ``/join/`` (access
codes), login and password reset. Counters live in the cache with a fixed window
that starts at the first try (Redis INCR keeps the key's expiry).
"""
import hashlib
import ipaddress

from django.conf import settings
from django.core.cache import cache


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_address(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` proxies the
    address the outermost trusted proxy saw, i.e. the Nth entry of ``X-Forwarded-For`` from the
    right (each proxy appends the address that connected to it; entries further left are the
    client's own claims and are not trusted). A missing, short or malformed header: ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    entries = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(entries) < proxies or not all(_is_address(entry) for entry in entries[-proxies:]):
        return remote
    return entries[-proxies]


def person_keys(scope: str, email: str, address: str, *, per_account: int, per_address: int) -> list[tuple[str, int]]:
    """(counter key, limit) for one try by an e-mail from an address: the account (the e-mail in any
    case, hashed, so Redis holds no address book) and the address. An unknown e-mail counts like a known one."""
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return [(f"{scope}:account:{account}", per_account), (f"{scope}:addr:{address}", per_address)]


def count(key: str) -> int:
    """Tries counted under ``key`` in its current window."""
    return int(cache.get(key) or 0)


def over(key: str, limit: int) -> bool:
    """Whether ``key`` has used up its ``limit`` (without counting a try)."""
    return count(key) >= limit


def hit(key: str, limit: int, window: int) -> bool:
    """Count one try under ``key``; True while it is within ``limit`` tries per ``window`` seconds,
    False when this try is over the limit (atomic: of concurrent tries, only ``limit`` pass)."""
    if cache.add(key, 1, window):
        return limit >= 1
    try:
        value = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        value = 1
    return value <= limit


def undo(key: str) -> None:
    """Take back one try counted by ``hit`` (a try that turned out to be allowed, e.g. a good password)."""
    try:
        cache.decr(key)
    except ValueError:  # the window ended meanwhile
        pass


def first_time(key: str, window: int) -> bool:
    """True once per ``window`` for ``key`` (to raise an alert once, not on every try)."""
    return cache.add(key, 1, window)
