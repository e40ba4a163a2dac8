"""Where a merchant's webhook may be delivered: never to private, loopback or link-local addresses (unless
LSP_WEBHOOK_ALLOW_PRIVATE_TARGETS), so a merchant cannot aim the platform at internal services.

The host is resolved once, every address it resolves to is checked, and the request is then sent to the
checked address (with the original Host header and TLS server name), so a DNS answer that changes between
the check and the connection (DNS rebinding) cannot slip an internal address through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(Exception):
    """The URL points at an address deliveries may not reach; retrying does not help."""


def refusal_reason(ip: IPAddress) -> str | None:
    """Why this address must not receive webhooks, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and (reason := refusal_reason(embedded)):
            return reason
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved or not ip.is_global:
        return "not a public address"
    return None


def check_addresses(host: str, addresses: list[str]) -> list[str]:
    """Every address must be public: one internal address among several is enough to refuse the host."""
    if not addresses:
        raise TargetRefused(f"{host} does not resolve to any address")
    for address in addresses:
        ip = ipaddress.ip_address(
            address.split("%", 1)[0]
        )  # an IPv6 zone id ("fe80::1%eth0") is not part of it
        reason = refusal_reason(ip)
        if reason:
            shown = host if host == address else f"{host} resolves to {address}, which"
            raise TargetRefused(f"{shown} is {reason}; webhooks are only delivered to public addresses")
    return addresses


def literal_refusal(url: str) -> str | None:
    """For validating a URL when it is saved: a host that is an IP literal (or localhost) we would refuse.
    Names are resolved only at delivery time, where the check that matters happens."""
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        return None
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return f"{host} is a loopback address; webhooks are only delivered to public addresses"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    reason = refusal_reason(ip)
    return f"{host} is {reason}; webhooks are only delivered to public addresses" if reason else None


@dataclass(frozen=True)
class Target:
    """What to connect to: the URL itself, or (when checked) the URL with its host pinned to a checked address."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, str] = field(default_factory=dict)


async def resolve(url: str, *, allow_private: bool, timeout: float) -> Target:
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise TargetRefused(f"{url!r} is not an http(s) URL")
    if allow_private:
        return Target(url=url)
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=timeout)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    check_addresses(host, addresses)
    pinned = addresses[0].split("%", 1)[0]
    if pinned == host:
        return Target(url=url)
    headers = {"host": parsed.netloc.decode("ascii")}
    extensions = {"sni_hostname": host} if parsed.scheme == "https" else {}
    return Target(url=str(parsed.copy_with(host=pinned)), headers=headers, extensions=extensions)
