"""Who is calling: the socket's address, or what a trusted proxy says in `X-Forwarded-For`.

The header is believed only from the addresses in `CITEQA_TRUSTED_PROXIES` (default none): anyone else could
write any address into it and so pick its own rate-limit bucket, or pass for a loopback caller. From a trusted
proxy, the hops are read right to left (each proxy appends the address it was called from) and the first
address that is not itself a trusted proxy is the caller.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(entries: Sequence[str]) -> tuple[Network, ...]:
    """IPs or CIDRs (`10.0.0.5`, `10.1.0.0/16`, `::1`); a bad entry raises ValueError naming it."""
    out = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or a CIDR network") from None
    return tuple(out)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class ClientAddress:
    def __init__(self, trusted: Sequence[str]) -> None:
        self._trusted = parse_networks(trusted)

    def _is_trusted(self, address: Address | None) -> bool:
        return address is not None and any(address in net for net in self._trusted)

    def of(self, scope: Scope) -> str:
        """The caller's address as text ("" when the server does not know it)."""
        peer = str((scope.get("client") or ("",))[0] or "")
        if not self._trusted or not self._is_trusted(_address(peer)):
            return peer
        # Every X-Forwarded-For header, in order: a proxy may add its own rather than append to one.
        hops = [
            hop
            for name, value in scope.get("headers", [])
            if name.lower() == b"x-forwarded-for"
            for hop in value.decode("latin-1").split(",")
            if hop.strip()
        ]
        caller = peer
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # not an address: no trusted proxy wrote it, so stop at the last one that did
            caller = str(address)
            if not self._is_trusted(address):
                break
        return caller

    def is_local(self, scope: Scope) -> bool:
        """Whether the caller is on the server itself, for the admin actions a loopback caller may take.

        The safe rule: the socket peer is a loopback address, is not a trusted proxy, and the request carries no
        forwarding header (`X-Forwarded-For`, `Forwarded`, `X-Real-IP`). A trusted proxy on the same host
        forwards callers from anywhere, so its own loopback address says nothing of theirs (and a missing or
        garbled `X-Forwarded-For` must not fall back to it); a forwarding header from an untrusted loopback
        peer is a proxy nobody told the service about, forwarding callers just as well. Never the resolved
        address of `of`, which falls back to the peer."""
        peer = _address(str((scope.get("client") or ("",))[0] or ""))
        if peer is None or not peer.is_loopback or self._is_trusted(peer):
            return False
        return not any(name.lower() in _FORWARDING for name, _ in scope.get("headers", []))


_FORWARDING = (b"x-forwarded-for", b"forwarded", b"x-real-ip")
