"""Who is calling: the client address of a request, for rate limits, the login throttle
and the verification lockout.

Behind a reverse proxy every request comes from the proxy; its `X-Forwarded-For` header
names the client, but anyone can send that header. So it is believed only when the
direct peer is one of TRUSTED_PROXIES (addresses or networks), and then read from the
right: the first address that is not itself a trusted proxy is the client (addresses a
client put in front of it are ignored). IPv6 clients are keyed by their /64 network (one
customer line gets a whole /64, so single addresses are free to rotate)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from aiohttp import web

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=16)
def parse_trusted(spec: str) -> tuple[IPNetwork, ...]:
    """TRUSTED_PROXIES ("10.0.0.1, 10.1.0.0/16") as networks; raises ValueError on a typo."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _address(value: str | None) -> IPAddress | None:
    if not value:
        return None
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:51234"
        value = value.split(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, trusted: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted_spec: str) -> str:
    """The client's address: the peer, or (behind a trusted proxy) the nearest untrusted
    address of X-Forwarded-For. "unknown" when there is none (a Unix socket)."""
    address = _address(peer)
    trusted = parse_trusted(trusted_spec) if trusted_spec else ()
    if address is not None and trusted and _trusted(address, trusted) and forwarded_for:
        for hop in reversed(forwarded_for.split(",")):
            candidate = _address(hop)
            if candidate is None:
                break  # garbage: stop at the last address a trusted proxy vouched for
            address = candidate
            if not _trusted(candidate, trusted):
                break
    return str(address) if address is not None else "unknown"


def client_key(address: str) -> str:
    """The key limits count under: "ip:<address>", IPv6 by its /64 network."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return "ip:" + str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return f"ip:{address}"


def request_client(request: web.BaseRequest, trusted_spec: str) -> str:
    """The client key of an aiohttp request."""
    return client_key(client_address(request.remote, request.headers.get("X-Forwarded-For"), trusted_spec))
