"""Which receiver URLs LaunchGap will call: ``http``/``https`` to a host whose every address is public.

A watch URL is user input that makes the server send requests, so it could aim LaunchGap at its own
network (the database, a cloud metadata service at 169.254.169.254, an admin port on localhost). Every
address a host resolves to is checked, both when the watch is created and at each delivery (a name can be
re-pointed after creation: DNS rebinding), and the request then goes to the very address that was checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
SCHEMES = ("http", "https")


class RefusedTarget(ValueError):
    """A receiver URL LaunchGap will not call, with the reason."""


@dataclass(frozen=True)
class Target:
    """A checked receiver: the URL's parts and the addresses (in resolver order) it may be called at."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), without duplicates, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(address: IpAddress) -> str | None:
    """Why ``address`` is not a public one, or None when it is."""
    for inner in embedded_ipv4(address):
        # ::ffff:127.0.0.1 reaches 127.0.0.1, and so may a 6to4 or Teredo address built on it.
        reason = refusal(inner)
        if reason is not None:
            return reason
    for reason, hit in (
        # Most specific first (Python counts loopback and link-local as private too), for a clear message.
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        # What is left but still not routable on the internet (e.g. 100.64.0.0/10, shared address space).
        ("non-global", not address.is_global),
    ):
        if hit:
            return reason
    return None


def embedded_ipv4(address: IpAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries and may be routed to: IPv4-mapped (``::ffff:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``), 6to4 (``2002:AABB:CCDD::/16``), Teredo (server and client,
    ``2001::/32``) and the NAT64 well-known prefix (``64:ff9b::/96``)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64 or (int(address) >> 32 == 0 and int(address) > 0xFFFF):
        found.append(low32)
    return found


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def check_target(url: str) -> tuple[SplitResult, str, int]:
    """The URL's parts, its host and its port, or ``RefusedTarget`` when it is not an http(s) URL with a
    host."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in SCHEMES:
        raise RefusedTarget(f"only http and https URLs are allowed, not {parts.scheme or 'no scheme'!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget(f"bad port in {url!r}") from exc
    if parts.username is not None or parts.password is not None:
        # They would travel in clear to wherever the URL points; receivers verify the signature instead.
        raise RefusedTarget("credentials in the URL are not allowed; verify the signature instead")
    host = parts.hostname
    if not host:
        raise RefusedTarget(f"no host in {url!r}")
    return parts, host, port or (443 if parts.scheme.lower() == "https" else 80)


def resolve_target(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """Check ``url`` and resolve its host; ``RefusedTarget`` when any address is not public (unless
    ``allow_private``) or the host does not resolve."""
    parts, host, port = check_target(url)
    try:
        literal: IpAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list(resolver(host, port))
        except (OSError, UnicodeError) as exc:
            raise RefusedTarget(f"cannot resolve {host!r}: {exc}") from exc
        if not addresses:
            raise RefusedTarget(f"{host!r} resolves to no address")
    if not allow_private:
        for text in addresses:
            reason = refusal(ipaddress.ip_address(text.split("%", 1)[0]))
            if reason is None:
                continue
            # A name's addresses are not shown, nor why they are refused: the answer must not tell a
            # caller what internal names resolve to. An address given as such is named with its reason.
            why = (
                f"{host} is a {reason} address"
                if literal is not None
                else f"the address of {host} is not allowed"
            )
            raise RefusedTarget(
                f"{why}; receivers must be public (LAUNCHGAP_WEBHOOK_ALLOW_PRIVATE=true allows private ones)"
            )
    return Target(
        url=url.strip(), scheme=parts.scheme.lower(), host=host, port=port, addresses=tuple(addresses)
    )
