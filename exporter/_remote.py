"""The only way exporter reaches the network: one http(s) GET, pinned to an address vetted before connecting.

A source naming `http://169.254.169.254/…` or `http://intranet.local/…` must not turn an export into a
request from inside the newsroom's network (SSRF). So the host is resolved once, every address it resolves
to is checked, and the connection goes to that vetted address — never through a second lookup a hostile DNS
server could answer differently (rebinding), and never through an environment proxy. The request still
names the host (Host header; for https, SNI and certificate checks against the host name). Redirects are
followed only to targets passing the same checks, and time and size are bounded. Only `ResourcePolicy.read`
calls this; what goes wrong is an exception whose message becomes the caller's warning.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

DEFAULT_TIMEOUT = 10.0
"""Seconds a whole fetch (lookup excepted: the resolver has its own) may take, redirects included."""
MAX_REDIRECTS = 3
"""Redirects followed, each to a target checked like the first URL."""
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HEADERS = {"User-Agent": "exporter", "Accept": "*/*", "Accept-Encoding": "identity", "Connection": "close"}


class Refused(Exception):
    """The policy forbids this fetch (scheme, address, size, redirects): a `resource.refused` warning."""


class Unavailable(Exception):
    """The fetch was allowed but failed (lookup, connection, timeout, HTTP status): `resource.missing`."""


def blocked_address(address: str) -> str:
    """Why connecting to `address` is refused unless private networks are allowed; empty for a public address.

    IPv6 forms that carry an IPv4 address (`::ffff:127.0.0.1`, 6to4, Teredo, NAT64) are judged by the IPv4
    address inside, since that is where the packets end up.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (`fe80::1%eth0`) names no host
    except ValueError:
        return "malformed"
    if isinstance(ip, ipaddress.IPv6Address):
        teredo = ip.teredo[1] if ip.teredo else None
        nat64 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None
        embedded = ip.ipv4_mapped or ip.sixtofour or teredo or nat64
        if embedded is not None:
            return blocked_address(str(embedded))
    for reason, hit in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                        ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                        ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if hit:
            return reason
    return "" if ip.is_global else "non-public"


@dataclass(frozen=True, slots=True)
class _Target:
    """One checked hop: where to connect and what to ask for."""

    https: bool
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def fetch(url: str, *, max_bytes: int, timeout: float = DEFAULT_TIMEOUT, allow_private_network: bool = False) -> bytes:
    """The body of a 200 answer to GET `url`; `Refused` or `Unavailable` (with the reason) otherwise."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        target = _check(url, allow_private_network=allow_private_network)
        status, location, body = _get(target, deadline=deadline, max_bytes=max_bytes, timeout=timeout)
        if status in _REDIRECTS:
            if not location:
                raise Unavailable(f"HTTP {status} without a Location")
            url = urljoin(url, location)
            continue
        if status != 200:
            raise Unavailable(f"HTTP {status}")
        return body
    raise Refused(f"more than {MAX_REDIRECTS} redirects")


def _check(url: str, *, allow_private_network: bool) -> _Target:
    """Scheme, host and port of `url`, the host resolved once and every address it has vetted."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused(f"{scheme or 'scheme-less'} URLs are not fetched (http and https only): {url}")
    host = parts.hostname
    if not host:
        raise Refused(f"no host in {url}")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise Refused(f"bad port in {url}") from None
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise Unavailable(f"cannot resolve {host}: {exc}") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise Unavailable(f"{host} has no address")
    if not allow_private_network:
        for address in addresses:
            reason = blocked_address(address)
            if reason:
                shown = host if host == address else f"{host} ({address})"
                raise Refused(f"{shown} is a {reason} address; allow_private_network permits it")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(https=scheme == "https", host=host, port=port, path=path, addresses=addresses)


def _connect(addresses: tuple[str, ...], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first vetted address that answers (no name lookup happens here)."""
    error: OSError = OSError("no address")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            error = exc
    raise error


class _Pinned(http.client.HTTPConnection):
    """Plain HTTP to a vetted address; the Host header still names the host."""

    def __init__(self, target: _Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to a vetted address, with SNI and the certificate checked against the host name."""

    def __init__(self, target: _Target, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls)
        self.addresses = target.addresses

    def connect(self) -> None:
        raw = _connect(self.addresses, self.port, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def _get(target: _Target, *, deadline: float, max_bytes: int, timeout: float) -> tuple[int, str, bytes]:
    """(status, Location, body) of one GET; the body is read only for a 200, in chunks, within the deadline."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Unavailable(f"no answer within {timeout:g} s")
    connection: http.client.HTTPConnection = (_PinnedTLS if target.https else _Pinned)(target, remaining)
    try:
        connection.request("GET", target.path, headers=_HEADERS)
        sock = connection.sock
        response = connection.getresponse()
        if response.status != 200:
            return response.status, response.getheader("Location") or "", b""
        length = response.getheader("Content-Length") or ""
        if length.strip().isdigit() and int(length) > max_bytes:
            raise Refused(f"{int(length):,} bytes is over the {max_bytes:,}-byte limit")
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Unavailable(f"no complete answer within {timeout:g} s")
            if sock is not None:
                sock.settimeout(remaining)
            chunk = response.read1(_CHUNK)
            if not chunk:
                return 200, "", b"".join(chunks)
            size += len(chunk)
            if size > max_bytes:
                raise Refused(f"over the {max_bytes:,}-byte limit")
            chunks.append(chunk)
    except TimeoutError:
        raise Unavailable(f"no answer within {timeout:g} s") from None
    except ssl.SSLError as exc:
        raise Unavailable(f"TLS failed: {exc.reason or exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise Unavailable(f"{type(exc).__name__}: {exc}") from None
    finally:
        connection.close()
