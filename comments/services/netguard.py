"""The SSRF guard: which URLs the service may call, and a POST that connects only where vetted.

Webhook URLs come from admins, but a URL that reaches the service's own network (loopback,
the private LAN, the cloud metadata address) would let whoever adds one probe or poke
internal services. So a URL must be http(s) with a host and no credentials, and every
address its host resolves to must be globally routable (unless private addresses are
allowed). The check runs when a webhook is added and again before each delivery, and the
delivery connects to an address that was vetted, never to a fresh lookup: a DNS answer that
changes between the check and the connection (DNS rebinding) cannot reach a private address.
"""

from __future__ import annotations

import dataclasses
import http.client
import ipaddress
import re
import socket
import ssl
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

MAX_URL_LENGTH = 2048
# Enough of a receiver's answer to show in the delivery log; the rest is never read.
MAX_RESPONSE_BYTES = 4096

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Letters, digits, dots, hyphens and underscores (some internal names use them), or an IPv6
# literal: anything else cannot be a host name we should resolve.
_HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?\.?|[0-9a-f:.]+", re.IGNORECASE)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """The URL may not be called. ``private_only`` when WEBHOOKS_ALLOW_PRIVATE would allow it."""

    def __init__(self, message: str, *, private_only: bool = False) -> None:
        super().__init__(message)
        self.private_only = private_only


@dataclasses.dataclass(frozen=True)
class Target:
    """A URL that passed the syntax checks, split the way the connection needs it."""

    url: str  # normalised: lower-case scheme and host
    scheme: str
    host: str  # without IPv6 brackets
    port: int
    request_target: str  # path and query


@dataclasses.dataclass(frozen=True)
class Vetted:
    """A target and the addresses it may be reached at (all of them checked)."""

    target: Target
    addresses: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    location: str
    body: bytes


def parse_url(url: str) -> Target:
    """Check a URL's form: http(s), a host, no credentials. Raises UnsafeURL."""
    text = url.strip()
    if not text:
        raise UnsafeURL("give the receiver's URL, such as https://example.com/hooks/comments")
    if len(text) > MAX_URL_LENGTH:
        raise UnsafeURL(f"a URL may be at most {MAX_URL_LENGTH} characters")
    if not text.isascii() or any(ch.isspace() or not ch.isprintable() for ch in text):
        raise UnsafeURL(
            "the URL has spaces, control or non-ASCII characters; percent-encode them "
            "(and write an international host name in its xn-- form)"
        )
    if "\\" in text:
        raise UnsafeURL("the URL has a backslash")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"the URL cannot be read ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        named = f"{scheme}:" if scheme else "a URL without a scheme"
        raise UnsafeURL(f"only http and https URLs can receive webhooks, not {named}")
    if "@" in parts.netloc:
        raise UnsafeURL("the URL must not carry a user name or password")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeURL("the URL has no host")
    if not _HOST.fullmatch(host):
        raise UnsafeURL(f"{host!r} is not a valid host name")
    if parts.fragment:
        raise UnsafeURL("the URL has a #fragment, which is never sent to the receiver")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    path = parts.path or "/"
    return Target(
        url=urlunsplit((scheme, netloc, path, parts.query, "")),
        scheme=scheme,
        host=host,
        port=port if port is not None else (443 if scheme == "https" else 80),
        request_target=path + (f"?{parts.query}" if parts.query else ""),
    )


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order. Raises OSError."""
    found: list[str] = []
    for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if family in (socket.AF_INET, socket.AF_INET6):
            address = str(sockaddr[0])
            if address not in found:
                found.append(address)
    if not found:
        raise OSError(f"{host} has no IPv4 or IPv6 address")
    return found


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(address: str, *, allow_private: bool) -> tuple[str, bool] | None:
    """Why ``address`` may not be called, and whether allowing private addresses would help.

    None when it may be called. Unspecified, multicast, link-local (the cloud metadata
    service at 169.254.169.254 lives there) and reserved addresses are never allowed: no
    receiver lives there. Loopback, private, unique-local, site-local and shared (100.64/10)
    addresses are allowed only with ``allow_private``; so are the other ranges that are not
    globally routable (documentation, benchmarking).
    """
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "is not an IP address", False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            problem = address_problem(str(embedded), allow_private=allow_private)
            if problem is None:
                return None
            return f"stands for {embedded}, which {problem[0]}", problem[1]
    if ip.is_unspecified or ip in _THIS_NETWORK:
        return "is the unspecified address (this host)", False
    if ip.is_multicast:
        return "is a multicast address", False
    if ip.is_link_local:
        return "is link-local (where cloud metadata services live)", False
    if ip.is_loopback:  # before "reserved": ::1 lies in the reserved ::/8
        return None if allow_private else ("is a loopback address (this machine)", True)
    if ip.is_reserved:
        return "is a reserved address", False
    if allow_private:
        return None
    if ip in _SHARED:
        return "is in the shared address space (carrier-grade NAT)", True
    if ip.is_private or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "is a private address", True
    if not ip.is_global:
        return "is not globally routable", True
    return None


def vet(url: str, *, allow_private: bool) -> Vetted:
    """Check ``url`` and resolve its host; every address must pass ``address_problem``.

    Raises UnsafeURL, or OSError when the host cannot be resolved (a temporary failure
    as far as the caller knows).
    """
    target = parse_url(url)
    addresses = resolve(target.host, target.port)
    for address in addresses:
        problem = address_problem(address, allow_private=allow_private)
        if problem is not None:
            text, private_only = problem
            where = address if address == target.host else f"{target.host} resolves to {address}"
            raise UnsafeURL(f"{where}, which {text}", private_only=private_only)
    return Vetted(target, tuple(addresses))


def _connect(addresses: Sequence[str], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first vetted address that answers."""
    error: OSError | None = None
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to vetted addresses; the Host header still names the URL's host."""

    def __init__(self, vetted: Vetted, timeout: float) -> None:
        super().__init__(vetted.target.host, vetted.target.port, timeout=timeout)
        self._addresses = vetted.addresses

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to vetted addresses; SNI and the certificate check use the URL's host name."""

    def __init__(self, vetted: Vetted, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(vetted.target.host, vetted.target.port, timeout=timeout, context=context)
        self._addresses = vetted.addresses
        self._tls = context

    def connect(self) -> None:
        sock = _connect(self._addresses, self.port, self.timeout)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def post(vetted: Vetted, body: bytes, headers: Mapping[str, str], timeout: float) -> Answer:
    """POST ``body`` to a vetted target; redirects are returned, never followed.

    ``timeout`` bounds the connection and each wait for data. Reads at most
    MAX_RESPONSE_BYTES of the answer. Raises OSError and http.client.HTTPException.
    """
    connection: http.client.HTTPConnection
    if vetted.target.scheme == "https":
        # The system's trusted CAs (SSL_CERT_FILE / SSL_CERT_DIR are honoured).
        connection = _PinnedHTTPSConnection(vetted, timeout, ssl.create_default_context())
    else:
        connection = _PinnedHTTPConnection(vetted, timeout)
    try:
        connection.request("POST", vetted.target.request_target, body=body, headers=dict(headers))
        response = connection.getresponse()
        data = response.read(MAX_RESPONSE_BYTES)
        return Answer(
            status=response.status,
            reason=response.reason,
            location=response.getheader("Location", "") or "",
            body=data,
        )
    finally:
        connection.close()
