"""The fetcher, against real HTTP servers on 127.0.0.1.

Loopback is allowed explicitly (``allow_private_networks=True``) except in the SSRF tests,
which keep the guard on and allow only 127.0.0.1 via ``allow_addresses``.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from newsdesk.errors import (BlockedAddress, FetchError, FetchTimeout, HTTPStatusError,
                             RobotsDisallowed, TooLarge, TooManyRedirects)
from newsdesk.ingest.fetch import Fetcher
from newsdesk.ingest.httpheaders import parse_freshness, parse_retry_after
from newsdesk.settings import Settings

from servers import (LoopbackServer, RawServer, Response, free_port, read_request_head,
                     record_connections)

LOOPBACK = Settings().with_(allow_private_networks=True, fetch_timeout=2.0, fetch_deadline=5.0)
RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


@pytest.fixture
def fetcher():
    with Fetcher(LOOPBACK) as f:
        yield f


def conditional(etag=None, last_modified=None):
    """A route that answers 304 when the client already has this version."""
    def route(request):
        headers = {"Content-Type": "application/rss+xml; charset=UTF-8"}
        if etag:
            headers["ETag"] = etag
        if last_modified:
            headers["Last-Modified"] = last_modified
        if (etag and request.headers.get("if-none-match") == etag) or (
                last_modified and request.headers.get("if-modified-since") == last_modified):
            return Response(304, headers)
        return Response(200, headers, RSS)
    return route


# ---------------------------------------------------------------------- the happy path
def test_a_plain_fetch_sends_our_user_agent_and_reports_type_and_charset(fetcher):
    with LoopbackServer({"/feed": conditional()}) as server:
        result = fetcher.get(server.url("/feed"))
    assert result.status == 200 and result.body == RSS and not result.not_modified
    assert result.content_type == "application/rss+xml" and result.charset == "utf-8"
    assert result.url == server.url("/feed")
    headers = server.requests[0].headers
    assert headers["user-agent"] == LOOPBACK.user_agent
    assert "application/rss+xml" in headers["accept"]
    assert result.elapsed < 2


def test_a_custom_accept_header_replaces_the_default(fetcher):
    with LoopbackServer({"/": Response(body=b"x")}) as server:
        fetcher.get(server.url(), accept="text/html")
    assert server.requests[0].headers["accept"] == "text/html"


def test_etag_is_sent_back_and_304_means_not_modified(fetcher):
    with LoopbackServer({"/feed": conditional(etag='"v1"')}) as server:
        first = fetcher.get(server.url("/feed"))
        second = fetcher.get(server.url("/feed"), etag=first.etag)
    assert first.etag == '"v1"' and first.status == 200
    assert server.requests[1].headers["if-none-match"] == '"v1"'
    assert second.not_modified and second.status == 304 and second.body == b""
    assert second.etag == '"v1"'


def test_last_modified_is_sent_back_and_304_means_not_modified(fetcher):
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    with LoopbackServer({"/feed": conditional(last_modified=stamp)}) as server:
        first = fetcher.get(server.url("/feed"))
        second = fetcher.get(server.url("/feed"), last_modified=first.last_modified)
    assert first.last_modified == stamp and not first.not_modified
    assert server.requests[1].headers["if-modified-since"] == stamp
    assert second.not_modified and second.last_modified == stamp


def test_cache_control_max_age_sets_fresh_until(fetcher):
    routes = {"/cached": Response(200, {"Cache-Control": "public, max-age=600"}, b"x"),
              "/nocache": Response(200, {"Cache-Control": "no-cache, max-age=600"}, b"x"),
              "/plain": Response(200, {}, b"x")}
    with LoopbackServer(routes) as server:
        before = datetime.now(timezone.utc)
        cached = fetcher.get(server.url("/cached"))
        assert fetcher.get(server.url("/nocache")).fresh_until is None
        assert fetcher.get(server.url("/plain")).fresh_until is None
    assert before + timedelta(seconds=599) <= cached.fresh_until
    assert cached.fresh_until <= datetime.now(timezone.utc) + timedelta(seconds=600)


def test_a_gzip_body_is_decoded(fetcher):
    routes = {"/gz": Response(200, {"Content-Encoding": "gzip"}, gzip.compress(RSS)),
              "/deflate": Response(200, {"Content-Encoding": "deflate"}, zlib.compress(RSS))}
    with LoopbackServer(routes) as server:
        assert fetcher.get(server.url("/gz")).body == RSS
        assert fetcher.get(server.url("/deflate")).body == RSS
    assert "gzip" in server.requests[0].headers["accept-encoding"]


# ---------------------------------------------------------------------- HTTP errors
def test_429_raises_with_retry_after_in_seconds(fetcher):
    with LoopbackServer({"/": Response(429, {"Retry-After": "120"})}) as server:
        with pytest.raises(HTTPStatusError) as caught:
            fetcher.get(server.url())
    err = caught.value
    assert err.status == 429
    assert str(err) == "HTTP 429 Too Many Requests (retry after 120 s)"
    wait = (err.retry_after - datetime.now(timezone.utc)).total_seconds()
    assert 115 < wait <= 120


def test_503_raises_with_retry_after_as_http_date(fetcher):
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    headers = {"Retry-After": format_datetime(later, usegmt=True)}
    with LoopbackServer({"/": Response(503, headers)}) as server:
        with pytest.raises(HTTPStatusError) as caught:
            fetcher.get(server.url())
    assert caught.value.status == 503
    assert str(caught.value).startswith("HTTP 503 Service Unavailable (retry after 3")
    assert abs((caught.value.retry_after - later).total_seconds()) < 1


def test_404_raises_a_short_message(fetcher):
    with LoopbackServer() as server:
        with pytest.raises(HTTPStatusError, match=r"^HTTP 404 Not Found$") as caught:
            fetcher.get(server.url("/missing"))
    assert caught.value.retry_after is None


# ---------------------------------------------------------------------- redirects
def redirect(to, status=302):
    return Response(status, {"Location": to})


def test_a_redirect_chain_within_the_limit_is_followed(fetcher):
    routes = {"/a": redirect("/b", 301), "/b": redirect("/c", 307),
              "/c": redirect("/final", 308), "/final": Response(body=b"here")}
    with LoopbackServer(routes) as server:
        result = fetcher.get(server.url("/a"))
    assert result.body == b"here" and result.url == server.url("/final")
    assert server.paths() == ["/a", "/b", "/c", "/final"]


def test_a_redirect_loop_is_refused(fetcher):
    with LoopbackServer({"/a": redirect("/b"), "/b": redirect("/a")}) as server:
        with pytest.raises(TooManyRedirects, match="redirect loop"):
            fetcher.get(server.url("/a"))


def test_a_chain_longer_than_max_redirects_is_refused():
    routes = {f"/{i}": redirect(f"/{i + 1}") for i in range(10)}
    with LoopbackServer(routes) as server, Fetcher(LOOPBACK.with_(max_redirects=3)) as f:
        with pytest.raises(TooManyRedirects, match="more than 3 redirects"):
            f.get(server.url("/0"))
        assert server.paths() == ["/0", "/1", "/2", "/3"]


def test_a_redirect_to_a_private_address_is_refused_at_that_hop(monkeypatch):
    """Guard on, only 127.0.0.1 allowed: the redirect target 10.0.0.1 is never contacted."""
    connections = record_connections(monkeypatch)
    settings = LOOPBACK.with_(allow_private_networks=False, allowed_networks="127.0.0.1")
    routes = {"/": redirect("http://10.0.0.1/admin"),
              "/meta": redirect("http://169.254.169.254/latest/meta-data/"),
              "/ok": Response(body=b"allowed")}
    with LoopbackServer(routes) as server, Fetcher(settings) as f:
        assert f.get(server.url("/ok")).body == b"allowed"
        with pytest.raises(BlockedAddress, match=r"^refused: 10\.0\.0\.1 is a private"):
            f.get(server.url("/"))
        with pytest.raises(BlockedAddress, match="cloud metadata"):
            f.get(server.url("/meta"))
    assert {address[0] for address in connections} == {"127.0.0.1"}


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1:{port}/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]:{port}/", "loopback"),
    ("http://[::ffff:127.0.0.1]:{port}/", "loopback"),
    ("http://100.64.0.1/", "CGNAT"),
])
def test_private_addresses_are_refused_by_default_before_connecting(monkeypatch, url, reason):
    connections = record_connections(monkeypatch)
    with LoopbackServer({"/": Response(body=b"secret")}) as server, \
            Fetcher(Settings(fetch_timeout=2.0)) as f:
        with pytest.raises(BlockedAddress, match=reason) as caught:
            f.get(url.format(port=server.port))
    assert "allow_private_networks" in str(caught.value)
    assert connections == [] and server.requests == []


# ---------------------------------------------------------------------- size limits
def test_an_endless_body_is_cut_at_the_size_cap():
    def endless(request):
        return Response(200, {"Content-Type": "text/html"}, iter(lambda: b"x" * 65536, None))
    with LoopbackServer({"/": endless}) as server, \
            Fetcher(LOOPBACK.with_(max_response_bytes=1_000_000)) as f:
        started = time.monotonic()
        with pytest.raises(TooLarge, match="^response body is larger than the 1 MB limit$"):
            f.get(server.url())
    assert time.monotonic() - started < 2


def test_a_huge_content_length_is_refused_before_reading():
    sent = []

    def huge(conn, server):
        read_request_head(conn)
        sent.append(True)  # before sendall: the client may raise before this thread runs again
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10737418240\r\n\r\n")
        server.stopping.wait(5)  # would send 10 GB; the client must not wait for it

    with RawServer(huge) as server, Fetcher(LOOPBACK) as f:
        started = time.monotonic()
        with pytest.raises(TooLarge, match=r"^response is 10.7 GB, larger than the 10 MB limit$"):
            f.get(server.url())
    assert sent and time.monotonic() - started < 4  # well before the server's 5 s wait ends


def test_a_gzip_bomb_is_stopped_as_a_decompression_bomb():
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    bomb = b"".join(packer.compress(zeros) for _ in range(50)) + packer.flush()  # 50 MB
    assert len(bomb) < 60_000
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"}
    with LoopbackServer({"/": Response(200, headers, bomb)}) as server, \
            Fetcher(LOOPBACK.with_(max_response_bytes=5_000_000)) as f:
        with pytest.raises(TooLarge, match=r"^decompression bomb: .* of gzip expanded to"):
            f.get(server.url())


# ---------------------------------------------------------------------- time limits
def test_a_server_that_never_answers_times_out():
    def silent(conn, server):
        read_request_head(conn)
        server.stopping.wait(10)

    with RawServer(silent) as server, Fetcher(LOOPBACK.with_(fetch_timeout=0.3)) as f:
        started = time.monotonic()
        with pytest.raises(FetchTimeout, match=r"^timed out after 0\.3 s waiting for "
                                               r"127\.0\.0\.1:\d+ to answer$"):
            f.get(server.url())
    assert time.monotonic() - started < 1


def test_a_trickling_server_is_cut_by_the_overall_deadline():
    """One byte every 0.1 s never trips the 0.5 s read timeout, but the deadline ends it."""
    def trickle(conn, server):
        read_request_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
        while not server.stopping.wait(0.1):
            conn.sendall(b"x")

    settings = LOOPBACK.with_(fetch_timeout=0.5, fetch_deadline=1.0)
    with RawServer(trickle) as server, Fetcher(settings) as f:
        started = time.monotonic()
        with pytest.raises(FetchTimeout, match=r"^timed out: the fetch took longer than "
                                               r"the 1 s deadline"):
            f.get(server.url())
    assert 0.9 < time.monotonic() - started < 2


def test_a_refused_connection_is_a_clear_fetch_error(fetcher):
    port = free_port()
    with pytest.raises(FetchError, match=rf"^cannot connect to 127\.0\.0\.1:{port}: "
                                         r"Connection refused$"):
        fetcher.get(f"http://127.0.0.1:{port}/feed")


def test_garbage_instead_of_http_is_a_fetch_error(fetcher):
    def garbage(conn, server):
        read_request_head(conn)
        conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    with RawServer(garbage) as server:
        with pytest.raises(FetchError, match="broken HTTP response"):
            fetcher.get(server.url())


# ---------------------------------------------------------------------- politeness
def test_robots_txt_is_obeyed_for_article_pages_and_fetched_once(fetcher):
    robots = b"User-agent: *\nDisallow: /private/\n"
    routes = {"/robots.txt": Response(200, {"Content-Type": "text/plain"}, robots),
              "/private/story": Response(body=b"secret"), "/news/story": Response(body=b"ok")}
    with LoopbackServer(routes) as server:
        with pytest.raises(RobotsDisallowed, match="disallows /private/story"):
            fetcher.get(server.url("/private/story"), check_robots=True)
        assert fetcher.get(server.url("/news/story"), check_robots=True).body == b"ok"
        # feeds are not checked against robots.txt unless asked
        assert fetcher.get(server.url("/private/story")).body == b"secret"
    assert server.paths() == ["/robots.txt", "/news/story", "/private/story"]
    assert server.requests[0].headers["user-agent"] == LOOPBACK.user_agent


def test_respect_robots_off_skips_robots_txt():
    routes = {"/robots.txt": Response(body=b"User-agent: *\nDisallow: /\n"),
              "/story": Response(body=b"ok")}
    with LoopbackServer(routes) as server, \
            Fetcher(LOOPBACK.with_(respect_robots=False)) as f:
        assert f.get(server.url("/story"), check_robots=True).body == b"ok"
    assert server.paths() == ["/story"]


def test_per_host_concurrency_is_bounded_across_threads():
    def slow(request):
        time.sleep(0.15)
        return Response(body=b"ok")

    results, errors = [], []
    with LoopbackServer({"/": slow}) as server, \
            Fetcher(LOOPBACK.with_(per_host_concurrency=2)) as f:
        def work():
            try:
                results.append(f.get(server.url()).body)
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
    assert errors == [] and results == [b"ok"] * 6
    assert server.max_in_flight == 2


# ---------------------------------------------------------------------- header parsing
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_parse_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("120", NOW) == NOW + timedelta(seconds=120)
    assert parse_retry_after("Wed, 01 Jan 2025 13:00:00 GMT", NOW) == NOW + timedelta(hours=1)
    assert parse_retry_after("Wed, 01 Jan 2020 13:00:00 GMT", NOW) == NOW  # past: now
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("-5", NOW) is None


def test_parse_freshness_prefers_max_age_then_expires():
    assert parse_freshness({"Cache-Control": "max-age=60"}, NOW) == NOW + timedelta(seconds=60)
    assert parse_freshness({"cache-control": "max-age=60", "Age": "20"}, NOW) == \
        NOW + timedelta(seconds=40)
    assert parse_freshness({"Cache-Control": "no-store, max-age=60"}, NOW) is None
    assert parse_freshness({"Cache-Control": "max-age=0"}, NOW) is None
    expires = {"Date": "Wed, 01 Jan 2025 11:00:00 GMT", "Expires": "Wed, 01 Jan 2025 11:30:00 GMT"}
    assert parse_freshness(expires, NOW) == NOW + timedelta(minutes=30)
    assert parse_freshness({"Expires": "0"}, NOW) is None
    assert parse_freshness({}, NOW) is None
