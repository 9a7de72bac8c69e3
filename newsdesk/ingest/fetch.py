"""The polite, bounded fetcher: one GET of a feed or page, with every limit enforced.

``Fetcher.get(url)`` does, top to bottom:

1. for each hop (at most ``max_redirects`` redirects, loops refused): SSRF-check the URL
   (``netguard``), check robots.txt when asked, take a per-host slot
   (``per_host_concurrency``, shared by all threads), send the GET with our User-Agent and
   the conditional headers (If-None-Match / If-Modified-Since);
2. 3xx -> next hop; 304 -> ``not_modified``; 4xx/5xx -> ``HTTPStatusError`` with Retry-After;
3. stream the body and stop at ``max_response_bytes`` of DECODED bytes (``TooLarge``), at an
   absurd compression ratio ("decompression bomb"), or at the ``fetch_deadline``.

gzip/deflate are decoded here (``iter_raw`` + zlib with ``max_length``) rather than by httpx's
``iter_bytes``: httpx inflates a whole 64 KiB network read at once, which for a gzip of
zeros is ~64 MB in memory per thread before any cap can look at it; ours yields 64 KiB steps.

Connect/read/write timeouts are ``fetch_timeout`` each, and every socket wait is also clamped
to the deadline, so a server that trickles a byte a second ends on time. Only ``FetchError``
subclasses leave this module, with one-line messages fit for the operator. What the
response headers say (content type, Retry-After, freshness) is read by ``httpheaders.py``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any, Iterable, Iterator

import httpx

from ..errors import FetchError, FetchTimeout, HTTPStatusError, TooLarge, TooManyRedirects
from ..settings import Settings
from .httpheaders import parse_content_type, parse_freshness, parse_retry_after
from .netguard import AddressGuard, GuardedTransport, Resolver
from .robots import MAX_ROBOTS_BYTES, RobotsCache

log = logging.getLogger(__name__)

DEFAULT_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, "
                  "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, "
                  "text/html;q=0.8, application/xhtml+xml;q=0.8, */*;q=0.5")
REDIRECTS = {301, 302, 303, 307, 308}
BOMB_RATIO = 100          # decoded/compressed above this (and above cap/10) is a bomb


@dataclass
class FetchResult:
    url: str                      # final URL after redirects
    status: int                   # 200 (or another 2xx), or 304 when not_modified
    body: bytes                   # decoded of Content-Encoding, size-capped; b"" on 304
    content_type: str | None      # media type only, lower-case
    charset: str | None           # from Content-Type
    etag: str | None
    last_modified: str | None
    not_modified: bool
    fresh_until: datetime | None  # from Cache-Control max-age / Expires (UTC)
    elapsed: float
    links: str | None = None      # the Link header (WebSub hubs may be declared there)


class Fetcher:
    """Thread-safe; share one per process and call ``get`` from a thread pool.

    The SSRF guard allows ``settings.allowed_origins`` (exact origins),
    ``settings.allowed_networks`` plus ``allow_addresses`` (IPs or networks allowed
    although private); ``resolver`` (host, port -> IPs) replaces getaddrinfo, for tests.
    See ``netguard.AddressGuard``.
    """

    def __init__(self, settings: Settings, *, allow_addresses: Iterable[str] = (),
                 resolver: Resolver | None = None):
        self.settings = settings
        allowed = [*settings.allowed_network_list, *allow_addresses]
        self.guard = AddressGuard(settings.allow_private_networks, allowed, resolver,
                                  allow_origins=settings.allowed_origin_list)
        transport = GuardedTransport(self.guard)
        self._backend = transport.backend
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False, trust_env=False,
            timeout=httpx.Timeout(settings.fetch_timeout),
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"})
        self._slots = _HostSlots(settings.per_host_concurrency)
        self.robots = RobotsCache(self._fetch_robots, settings.user_agent)

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            accept: str | None = None, check_robots: bool = False) -> FetchResult:
        started = time.monotonic()
        headers = {"Accept": accept or DEFAULT_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        robots = check_robots and self.settings.respect_robots
        with self._backend.deadline(started + self.settings.fetch_deadline):
            response, body = self._follow(url, headers, started, robots=robots,
                                          cap=self.settings.max_response_bytes)
        now = datetime.now(timezone.utc)
        media, charset = parse_content_type(response.headers.get("content-type"))
        not_modified = response.status_code == 304
        result = FetchResult(
            url=str(response.url), status=response.status_code, body=body,
            content_type=media, charset=charset,
            etag=response.headers.get("etag") or (etag if not_modified else None),
            last_modified=(response.headers.get("last-modified")
                           or (last_modified if not_modified else None)),
            not_modified=not_modified, fresh_until=parse_freshness(response.headers, now),
            elapsed=time.monotonic() - started, links=response.headers.get("link"))
        log.debug("fetched %s: %s, %d bytes", result.url, result.status, len(body))
        return result

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _fetch_robots(self, url: str) -> tuple[int, bytes]:
        """For RobotsCache: status and (truncated) body, 4xx/5xx returned, not raised."""
        response, body = self._follow(url, {"Accept": "text/plain, */*;q=0.5"},
                                      time.monotonic(), robots=False, cap=MAX_ROBOTS_BYTES,
                                      raise_status=False)
        return response.status_code, body

    def _follow(self, url: str, headers: dict[str, str], started: float, *, robots: bool,
                cap: int, raise_status: bool = True) -> tuple[httpx.Response, bytes]:
        deadline = started + self.settings.fetch_deadline
        seen: set[str] = set()
        target: httpx.URL | None = None
        try:
            target = httpx.URL(url)
            for _hop in range(self.settings.max_redirects + 1):
                seen.add(str(target.copy_with(fragment=None)))
                self.guard.check_url(target)
                if robots:
                    self.robots.check(str(target))
                    self.robots.wait_turn(str(target), deadline - time.monotonic())
                with (self._slots.hold(target.host, deadline, self.settings.fetch_deadline),
                      self._backend.trusting(self.guard.origin_allowed(target)),
                      self._client.stream("GET", target, headers=headers) as response):
                    location = response.headers.get("location")
                    if response.status_code in REDIRECTS and location:
                        target = response.url.join(location.strip())
                        if str(target.copy_with(fragment=None)) in seen:
                            raise TooManyRedirects(f"redirect loop: {target} was already "
                                                   f"visited")
                        continue
                    if response.status_code == 304:
                        return response, b""
                    if raise_status and response.status_code >= 300:
                        raise status_error(response)
                    body = read_body(response, cap, deadline, self.settings.fetch_deadline,
                                     truncate=not raise_status)
                    return response, body
            raise TooManyRedirects(f"more than {self.settings.max_redirects} redirects")
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {_one_line(exc)}") from None
        except UnicodeError as exc:  # idna, from httpx reading a redirect to an "xn--zz" host
            raise FetchError(f"invalid URL: bad host name ({_one_line(exc)})") from None
        except httpx.HTTPError as exc:
            raise translate(exc, target, self.settings, deadline) from None


class _HostSlots:
    """A semaphore per host, shared across threads. Only hosts with a request in flight
    are kept, so the map is bounded by the number of threads."""

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._slots: dict[str, list[Any]] = {}  # host -> [semaphore, users]

    @contextmanager
    def hold(self, host: str, deadline: float, budget: float) -> Iterator[None]:
        with self._lock:
            entry = self._slots.setdefault(host, [threading.Semaphore(self.limit), 0])
            entry[1] += 1
        try:
            if not entry[0].acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise FetchTimeout(f"timed out: no free connection to {host} within the "
                                   f"{_secs(budget)} deadline")
            try:
                yield
            finally:
                entry[0].release()
        finally:
            with self._lock:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._slots[host]


class _Decoder:
    """Content-Encoding decoder (identity, gzip, deflate) with bounded output per step."""

    def __init__(self, header: str | None):
        codings = [c.strip().lower() for c in (header or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(f"unsupported Content-Encoding: {', '.join(codings)[:60]}")
        self.kind = codings[0] if codings else None
        self.consumed = 0  # compressed bytes turned into output so far
        self._z: Any = None
        self._pending = b""

    def feed(self, data: bytes, step: int = 65536) -> Iterator[bytes]:
        if self.kind is None:
            self.consumed += len(data)
            yield data
            return
        data = self._pending + data
        if self._z is None:
            if len(data) < 2:  # need two bytes to tell zlib-wrapped from raw deflate
                self._pending = data
                return
            self._pending = b""
            zlib_header = data[0] & 0x0F == 8 and ((data[0] << 8) | data[1]) % 31 == 0
            wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS  # raw deflate exists
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS if self.kind != "deflate" else wbits)
        try:
            while data:
                out = self._z.decompress(data, step)
                left = self._z.unconsumed_tail or (self._z.unused_data if self._z.eof else b"")
                self.consumed += len(data) - len(left)
                data = left
                if self._z.eof and data[:2] == b"\x1f\x8b" and self.kind != "deflate":
                    self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)  # next gzip member
                elif self._z.eof:
                    data = b""  # trailing junk after the stream is ignored
                if out:
                    yield out
        except zlib.error as exc:
            raise FetchError(f"corrupt {self.kind} body: {exc}") from None

    def finish(self) -> bytes:
        return b"" if self._z is None or self._z.eof else self._z.flush()


def read_body(response: httpx.Response, cap: int, deadline: float, budget: float,
              truncate: bool = False) -> bytes:
    """Stream the body: at most ``cap`` decoded bytes, no bombs, done by ``deadline``.
    With ``truncate`` the first ``cap`` bytes are returned instead of raising TooLarge."""
    length = response.headers.get("content-length", "").strip()
    if length.isdigit() and int(length) > cap and not truncate:
        raise TooLarge(f"response is {_size(int(length))}, larger than the {_size(cap)} limit")
    decoder = _Decoder(response.headers.get("content-encoding"))
    out = bytearray()
    raw_total = 0
    for raw in response.iter_raw():
        raw_total += len(raw)
        for piece in decoder.feed(raw):
            out += piece
            if (decoder.kind and len(out) > cap // 10
                    and len(out) > BOMB_RATIO * max(decoder.consumed, 1)):
                raise TooLarge(f"decompression bomb: {_size(decoder.consumed)} of "
                               f"{decoder.kind} expanded to over {_size(len(out))}")
            if len(out) > cap:
                if truncate:
                    return bytes(out[:cap])
                raise TooLarge(f"response body is larger than the {_size(cap)} limit")
        if raw_total > cap and not truncate:
            raise TooLarge(f"response body is larger than the {_size(cap)} limit")
        if time.monotonic() > deadline:
            raise FetchTimeout(f"timed out: the fetch took longer than the {_secs(budget)} "
                               f"deadline ({_size(raw_total)} received)")
    out += decoder.finish()
    return bytes(out[:cap]) if truncate else bytes(out)


def status_error(response: httpx.Response) -> HTTPStatusError:
    status = response.status_code
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = _one_line(response.reason_phrase)[:60]
    now = datetime.now(timezone.utc)
    retry_after = parse_retry_after(response.headers.get("retry-after"), now)
    message = f"HTTP {status} {reason}".rstrip()
    message += " without a Location header" if status in REDIRECTS else ""
    if retry_after is not None:
        message += f" (retry after {round((retry_after - now).total_seconds())} s)"
    return HTTPStatusError(message, status, retry_after)


def translate(exc: httpx.HTTPError, url: httpx.URL | None, settings: Settings,
              deadline: float) -> FetchError:
    """An httpx exception as a FetchError with a one-line operator message."""
    where = "the server"
    if url is not None and url.host:
        where = f"[{url.host}]" if ":" in url.host else url.host[:100]
        where += f":{url.port}" if url.port else ""
    timeout = _secs(settings.fetch_timeout)
    if isinstance(exc, httpx.TimeoutException) and time.monotonic() >= deadline - 0.05:
        return FetchTimeout(f"timed out: the fetch took longer than the "
                            f"{_secs(settings.fetch_deadline)} deadline")
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchTimeout(f"timed out connecting to {where} after {timeout}")
    if isinstance(exc, httpx.PoolTimeout):
        return FetchTimeout(f"timed out after {timeout} waiting for a connection to {where}")
    if isinstance(exc, httpx.TimeoutException):
        return FetchTimeout(f"timed out after {timeout} waiting for {where} to answer")
    detail = _one_line(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        if re.search(r"ssl|certificate|tls", detail, re.I):
            return FetchError(f"TLS error with {where}: {detail}")
        return FetchError(f"cannot connect to {where}: {detail}")
    if isinstance(exc, httpx.RemoteProtocolError):
        return FetchError(f"{where} sent a broken HTTP response: {detail}")
    if isinstance(exc, httpx.NetworkError):
        return FetchError(f"connection to {where} failed: {detail}")
    return FetchError(f"fetching from {where} failed: {detail}")


def _one_line(exc: object) -> str:
    text = re.sub(r"\[Errno -?\d+\]\s*", "", str(exc))
    return " ".join(text.split())[:200]


def _secs(value: float) -> str:
    return f"{value:g} s"


def _size(n: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"
