"""The SSRF guard's address rules, with a resolver standing in for DNS (names pointing anywhere)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.services.watches.sender import GIVE_UP_AFTER, next_attempt_at, retry_delay, signature
from app.sources.outbound.guard import RefusedTarget, resolve_target


def dns(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str, _port: int) -> list[str]:
        if host not in table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return table[host]

    return resolve


ZONE = dns(
    {
        "hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "internal.example.com": ["10.0.0.9"],
        "metadata.example.com": ["169.254.169.254"],
        "v6-loop.example.com": ["::1"],
        "mixed.example.com": ["93.184.215.14", "192.168.0.4"],  # one bad address is enough to refuse
    }
)


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        # Names are refused without their addresses or the reason (that would map internal names).
        ("internal.example.com", "the address of internal.example.com is not allowed"),
        ("metadata.example.com", "the address of metadata.example.com is not allowed"),
        ("v6-loop.example.com", "the address of v6-loop.example.com is not allowed"),
        ("mixed.example.com", "the address of mixed.example.com is not allowed"),
        ("nowhere.example.com", "cannot resolve"),
    ],
)
def test_names_resolving_to_non_public_addresses_are_refused(host: str, reason: str) -> None:
    with pytest.raises(RefusedTarget, match=reason):
        resolve_target(f"https://{host}/hook", allow_private=False, resolver=ZONE)


def test_a_public_name_is_kept_with_every_checked_address() -> None:
    target = resolve_target("https://hooks.example.com:8443/a?b=1", allow_private=False, resolver=ZONE)
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.com", 8443)
    assert target.addresses == ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")


def test_allow_private_lets_private_names_through() -> None:
    target = resolve_target("http://internal.example.com/", allow_private=True, resolver=ZONE)
    assert target.addresses == ("10.0.0.9",) and target.port == 80


def test_backoff_schedule_and_signature() -> None:
    assert [retry_delay(n) / timedelta(minutes=1) for n in (1, 2, 3, 9, 10, 20)] == [1, 2, 4, 256, 360, 360]
    created = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_attempt_at(created, 1, created) == created + timedelta(minutes=1)
    late = created + GIVE_UP_AFTER - timedelta(minutes=5)
    assert next_attempt_at(created, 12, late) == created + GIVE_UP_AFTER  # the last try, at the day's end
    assert next_attempt_at(created, 13, created + GIVE_UP_AFTER) is None
    # The documented check: HMAC-SHA256 over the raw body, hex, prefixed.
    assert signature("key", b"The quick brown fox jumps over the lazy dog") == (
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )
