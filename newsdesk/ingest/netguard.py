"""SSRF guard: which addresses newsdesk may connect to, enforced at connect time.

Feeds and article URLs come from users and from other people's feeds, so a URL may point at
the machine running newsdesk (``http://127.0.0.1:8000/admin``), the LAN
(``http://192.168.1.1/``) or the cloud metadata service (``http://169.254.169.254/``).
The guard refuses every address that is not public unless one of these allows it:

    setting                   allows                                   e.g.
    ------------------------  ---------------------------------------  ----------------------
    allowed_origins           exactly these scheme://host:port         http://127.0.0.1:8170
                              origins, as written in the URL           (not localhost:8170,
                                                                       127.1:8170, :8171)
    allowed_networks          these IPs/networks, on every port and    10.1.2.0/24
                              under every name that resolves there
    allow_private_networks    everything (the guard is off)

An origin is matched on the URL of each hop before any connection (scheme, host as
spelled, port), so "127.1", "2130706433", "0x7f000001" or "localhost" never match an
allowed "127.0.0.1": they resolve to a loopback address that stays refused.

How it is enforced, in two places:

* ``check_url`` runs before a request (and before every redirect hop): only http/https, no
  credentials in the URL, and a literal IP host is vetted right away (no DNS involved).
* ``GuardedBackend`` is the httpcore network backend of the fetcher's client. Its
  ``connect_tcp`` resolves the host name itself, vets EVERY resolved address (one bad
  address refuses the host: a name that mixes public and private answers is suspicious), and
  then opens the socket to one of those vetted IPs. The name is resolved exactly once per
  connection and the socket goes to the address that was checked, so DNS rebinding between
  check and connect is impossible. TLS SNI, certificate checks and the Host header still use
  the name from the URL (httpcore takes them from the request, not from the socket).

The backend also clamps every connect/read/write timeout to a per-thread deadline (see
``GuardedBackend.deadline``), so a fetch's overall deadline holds even against a server that
trickles one byte at a time. Name resolution runs in a helper thread so it is bounded too.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

import httpcore
import httpx

from ..errors import BlockedAddress, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HINT = "(allow it with allowed_origins, allowed_networks or allow_private_networks)"
_HOST_CHARS = re.compile(rb"[A-Za-z0-9._:-]+")  # raw_host: IDNA-encoded name or bare IP
_DEFAULT_PORTS = {"http": 80, "https": 443}


def classify(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address ("a private address", ...), or None if it is.

    IPv6 forms that embed an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, NAT64) are
    judged by the embedded IPv4 address.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return classify(embedded)
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        if str(ip) == "169.254.169.254":
            return "a link-local address (cloud metadata service)"
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a shared (CGNAT) address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a non-public address"
    return None


def parse_ip(text: str) -> IPAddress | None:
    """The IP address in ``text`` (brackets and IPv6 zone allowed), or None for a name."""
    text = text.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses of ``host`` from the system resolver (getaddrinfo), in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for *_, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.append(sockaddr[0])
    return seen


class AddressGuard:
    """Decides whether a URL and its resolved addresses may be fetched.

    ``allow_addresses`` lists IPs or networks (``"127.0.0.1"``, ``"192.168.10.0/24"``) that
    are allowed even though they are not public, while every other private address stays
    refused. ``allow_origins`` lists exact (scheme, host, port) origins whose addresses are
    allowed whatever they are (see ``origin_allowed``). ``resolver(host, port)`` returns a
    list of IP strings; it defaults to getaddrinfo and is a hook for tests.
    """

    def __init__(self, allow_private: bool = False, allow_addresses: Iterable[str] = (),
                 resolver: Resolver | None = None,
                 allow_origins: Iterable[tuple[str, str, int]] = ()):
        self.allow_private = allow_private
        self.allowed = [ipaddress.ip_network(a, strict=False) for a in allow_addresses]
        self.origins = frozenset(allow_origins)
        self.resolver = resolver or system_resolver

    def origin_allowed(self, url: httpx.URL) -> bool:
        """Is ``url``'s origin, exactly as written (scheme, host, port), an allowed one?"""
        if not self.origins or url.scheme not in _DEFAULT_PORTS:
            return False
        host = url.raw_host.decode("ascii", "replace").lower()
        return (url.scheme, host, url.port or _DEFAULT_PORTS[url.scheme]) in self.origins

    def check_ip(self, ip: IPAddress, host: str | None = None) -> None:
        """Raise BlockedAddress if ``ip`` may not be contacted."""
        if self.allow_private or any(ip in net for net in self.allowed
                                     if net.version == ip.version):
            return
        reason = classify(ip)
        if reason is None:
            return
        if host and parse_ip(host) is None:
            raise BlockedAddress(f"refused: {host} resolves to {ip}, {reason} {_HINT}")
        raise BlockedAddress(f"refused: {ip} is {reason} {_HINT}")

    def check_url(self, url: httpx.URL) -> None:
        """Scheme, credentials and literal-IP checks; no DNS. Run before every hop."""
        if not url.scheme:
            raise FetchError("invalid URL: it must start with http:// or https://")
        if url.scheme not in ("http", "https"):
            raise BlockedAddress(f"refused: only http and https URLs can be fetched, "
                                 f"not {url.scheme}")
        if url.userinfo:
            raise BlockedAddress("refused: URLs with a user name or password are not allowed")
        try:
            host = url.host
        except ValueError:  # idna.IDNAError: an "xn--" label that is not Punycode
            raise FetchError(f"invalid URL: bad host name {url.raw_host[:100].decode('ascii', 'replace')!r}") from None
        if not host or not _HOST_CHARS.fullmatch(url.raw_host):
            raise FetchError(f"invalid URL: bad host name {host[:100]!r}")
        if url.port is not None and not 0 < url.port < 65536:
            raise FetchError(f"invalid URL: bad port {url.port}")
        ip = parse_ip(url.host)
        if ip is not None and not self.origin_allowed(url):
            self.check_ip(ip)

    def resolve(self, host: str, port: int, timeout: float | None,
                trusted: bool = False) -> list[str]:
        """Resolve ``host`` (bounded by ``timeout``) and return its addresses, all vetted
        unless the connection is for an allowed origin (``trusted``)."""
        ip = parse_ip(host)
        if ip is not None:
            if not trusted:
                self.check_ip(ip)
            return [str(ip)]
        addresses = _call_with_timeout(lambda: self.resolver(host, port), timeout, host)
        if not addresses:
            raise FetchError(f"cannot resolve {host}: no addresses")
        for text in addresses:
            found = parse_ip(text)
            if found is None:
                raise FetchError(f"cannot resolve {host}: resolver returned {text!r}")
            if not trusted:
                self.check_ip(found, host)
        return addresses


def _call_with_timeout(fn: Callable[[], list[str]], timeout: float | None,
                       host: str) -> list[str]:
    """Run a blocking resolver in a daemon thread so a hung DNS server cannot stall us."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except Exception as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise httpcore.ConnectTimeout(f"resolving {host} timed out")
    error = box.get("error")
    if isinstance(error, socket.gaierror):
        raise FetchError(f"cannot resolve {host[:100]}: {error.strerror or error}")
    if isinstance(error, (FetchError, httpcore.TimeoutException)):
        raise error
    if error is not None:
        raise FetchError(f"cannot resolve {host[:100]}: {error}")
    return box["value"]  # type: ignore[return-value]


class _DeadlineStream(httpcore.NetworkStream):
    """Delegates to the real stream, clamping each timeout to the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, backend: "GuardedBackend"):
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):  # type: ignore[override]
        timeout = self._backend.clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout),
                               self._backend)

    def get_extra_info(self, info: str):  # type: ignore[override]
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore backend: resolve once, vet every address, connect to a vetted address."""

    def __init__(self, guard: AddressGuard):
        self.guard = guard
        self._inner = httpcore.SyncBackend()
        self._local = threading.local()

    def deadline(self, when: float | None):
        """Within the block, no I/O of this thread may wait past ``when`` (monotonic)."""
        return self._for_thread("deadline", when)

    def trusting(self, trusted: bool):
        """Within the block, this thread's connections are for an allowed origin (the
        fetcher decided it from the hop's URL; httpcore pools connections per origin, so a
        trusted connection is only ever reused for that same origin)."""
        return self._for_thread("trusted", trusted)

    @contextmanager
    def _for_thread(self, name: str, value: object) -> Iterator[None]:
        previous = getattr(self._local, name, None)
        setattr(self._local, name, value)
        try:
            yield
        finally:
            setattr(self._local, name, previous)

    def clamp(self, timeout: float | None, exc: type[Exception]) -> float | None:
        when = getattr(self._local, "deadline", None)
        if when is None:
            return timeout
        remaining = when - time.monotonic()
        if remaining <= 0:
            raise exc("deadline exceeded")
        return remaining if timeout is None else min(timeout, remaining)

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable | None = None) -> httpcore.NetworkStream:
        timeout = self.clamp(timeout, httpcore.ConnectTimeout)
        started = time.monotonic()
        addresses = self.guard.resolve(host, port, timeout,
                                       trusted=getattr(self._local, "trusted", False))
        last_error: Exception | None = None
        for address in addresses:
            left = None if timeout is None else timeout - (time.monotonic() - started)
            if left is not None and left <= 0:
                raise httpcore.ConnectTimeout(f"connecting to {host} timed out")
            try:
                stream = self._inner.connect_tcp(address, port, left, local_address,
                                                 socket_options)
            except httpcore.ConnectError as exc:
                last_error = exc
                continue
            return _DeadlineStream(stream, self)
        raise last_error or httpcore.ConnectError(f"no address to connect to for {host}")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable | None = None) -> httpcore.NetworkStream:
        raise BlockedAddress("refused: unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connection pool built on ``GuardedBackend``.
    No proxy is ever used (a proxy would connect on our behalf, past the guard)."""

    def __init__(self, guard: AddressGuard, max_connections: int = 100):
        ssl_context = _ssl_context()
        super().__init__(verify=ssl_context, trust_env=False)
        self.backend = GuardedBackend(guard)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context, max_connections=max_connections,
            max_keepalive_connections=20, keepalive_expiry=5.0, network_backend=self.backend)


@functools.lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle costs ~50 ms."""
    return httpx.create_ssl_context(trust_env=False)
