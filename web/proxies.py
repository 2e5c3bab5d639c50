"""Who the client is: X-Forwarded-For and X-Forwarded-Proto are believed only from a configured proxy.

`MATCHER_TRUSTED_PROXIES` lists the addresses or networks of the reverse proxies in front of the app
(default: none). A request whose direct peer is one of them gets its client address from
X-Forwarded-For (the nearest address that is not itself a trusted proxy) and its scheme from
X-Forwarded-Proto; from anybody else both headers are ignored, so a client cannot pick the address the
login limit counts, nor pretend to have come over HTTPS.
"""

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """The trusted proxies as networks (a single address is a /32 or /128)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _is_trusted(host: str | None, trusted: tuple[Network, ...]) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host.strip().strip("[]"))
    except ValueError:
        return False
    return any(address in network for network in trusted)


def forwarded_client(peer: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    """The client's address: walking X-Forwarded-For from the right (the nearest hop), the first one
    that is not a trusted proxy; the peer itself when the header names nobody usable."""
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return peer  # a name or garbage from the far side: count the proxy, not a chosen string
    return hops[0] if hops else peer


class TrustedProxies:
    """Pure ASGI middleware: rewrites the scope's client and scheme only for a trusted direct peer."""

    def __init__(self, app: ASGIApp, trusted: Iterable[str]) -> None:
        self.app = app
        self.trusted = networks(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            if self.trusted and client and _is_trusted(client[0], self.trusted):
                scope = self._resolved(scope, client[0])
        await self.app(scope, receive, send)

    def _resolved(self, scope: Scope, peer: str) -> Scope:
        forwarded_for: list[str] = []
        proto = None
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                forwarded_for.append(value.decode("latin-1"))
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").split(",")[-1].strip().lower()
        scope = dict(scope)
        if forwarded_for:
            scope["client"] = (forwarded_client(peer, ",".join(forwarded_for), self.trusted), 0)
        if proto in ("http", "https") and scope["type"] == "http":
            scope["scheme"] = proto
        return scope
