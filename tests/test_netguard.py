"""The SSRF guard: which addresses are refused, and that the socket goes to the vetted one.

Host names are resolved by a test resolver hook, so nothing here touches real DNS; the only
real target is a loopback server, allowed explicitly with ``allow_addresses``.
"""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import threading
import time

import httpx
import pytest

from newsdesk.errors import BlockedAddress, FetchError, FetchTimeout
from newsdesk.ingest.fetch import Fetcher
from newsdesk.ingest.netguard import AddressGuard, classify
from newsdesk.settings import Settings

from servers import (LoopbackServer, RawServer, Response, read_request_head,
                     record_connections)

GUARDED = Settings(fetch_timeout=2.0, fetch_deadline=5.0)  # allow_private_networks is off


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("fd00::1", "private"), ("169.254.169.254", "cloud metadata"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("::", "unspecified"), ("100.64.0.1", "CGNAT"), ("240.0.0.1", "reserved"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:127.0.0.1", "loopback"),
    ("64:ff9b::a9fe:a9fe", "cloud metadata"),  # NAT64 form of 169.254.169.254
    ("2002:7f00:1::", "loopback"),              # 6to4 form of 127.0.0.1
])
def test_non_public_addresses_are_classified(address, reason):
    assert reason in classify(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111",
                                     "::ffff:93.184.215.14"])
def test_public_addresses_pass(address):
    assert classify(ipaddress.ip_address(address)) is None


def test_urls_are_checked_for_scheme_credentials_and_literal_addresses():
    guard = AddressGuard()
    guard.check_url(httpx.URL("https://example.com/feed"))
    with pytest.raises(BlockedAddress, match="only http and https"):
        guard.check_url(httpx.URL("file:///etc/passwd"))
    with pytest.raises(BlockedAddress, match="user name or password"):
        guard.check_url(httpx.URL("http://admin:secret@example.com/"))
    with pytest.raises(BlockedAddress, match=r"^refused: 10\.0\.0\.1 is a private address "
                                             r"\(allow it with allowed_origins, "
                                             r"allowed_networks or allow_private_networks\)$"):
        guard.check_url(httpx.URL("http://10.0.0.1/"))
    with pytest.raises(FetchError, match="invalid URL"):
        guard.check_url(httpx.URL("example.com/feed"))


def test_allow_addresses_opens_only_the_listed_addresses():
    guard = AddressGuard(allow_addresses=["127.0.0.1", "192.168.7.0/24"])
    guard.check_ip(ipaddress.ip_address("127.0.0.1"))
    guard.check_ip(ipaddress.ip_address("192.168.7.20"))
    for refused in ("127.0.0.2", "192.168.8.1", "10.0.0.1", "::1"):
        with pytest.raises(BlockedAddress):
            guard.check_ip(ipaddress.ip_address(refused))


def test_allow_private_networks_turns_the_address_check_off():
    guard = AddressGuard(allow_private=True)
    guard.check_url(httpx.URL("http://10.0.0.1/"))
    with pytest.raises(BlockedAddress):  # the scheme check stays
        guard.check_url(httpx.URL("gopher://10.0.0.1/"))


# ------------------------------------------------------------ resolution and connecting
class Resolver:
    """A DNS stand-in: answers from a list of replies, one per call, and counts calls."""

    def __init__(self, *replies: list[str], delay: float = 0.0):
        self.replies = list(replies)
        self.calls = 0
        self.delay = delay

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        time.sleep(self.delay)
        return self.replies[min(self.calls, len(self.replies)) - 1]


def test_a_name_is_connected_to_its_vetted_address_keeping_the_host_header(monkeypatch):
    connections = record_connections(monkeypatch)
    # a rebinding DNS server: first a harmless answer, then an internal one
    resolver = Resolver(["127.0.0.1"], ["10.0.0.1"])
    with LoopbackServer({"/": Response(body=b"ok")}) as server, \
            Fetcher(GUARDED, allow_addresses=["127.0.0.1"], resolver=resolver) as f:
        result = f.get(f"http://news.example:{server.port}/")
    assert result.body == b"ok"
    assert server.requests[0].headers["host"] == f"news.example:{server.port}"
    # resolved once, and the socket went to exactly the address that was checked
    assert resolver.calls == 1
    assert connections == [("127.0.0.1", server.port)]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_to_the_pinned_address_still_uses_the_host_name_for_sni_and_certificates(tmp_path):
    """The socket goes to 127.0.0.1, but TLS says and verifies "news.example": the
    self-signed certificate is rejected (not trusted), after SNI named the host."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=news.example",
                    "-keyout", str(key), "-out", str(cert), "-days", "1"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)

    def tls_server(conn, server):
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                read_request_head(tls)
        except (ssl.SSLError, OSError):
            pass

    with RawServer(tls_server) as server, \
            Fetcher(GUARDED, allow_addresses=["127.0.0.1"], resolver=Resolver(["127.0.0.1"])) as f:
        with pytest.raises(FetchError, match=rf"^TLS error with news\.example:{server.port}: "
                                             r".*CERTIFICATE_VERIFY_FAILED"):
            f.get(f"https://news.example:{server.port}/")
    assert names == ["news.example"]


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch):
    connections = record_connections(monkeypatch)
    resolver = Resolver(["10.0.0.1"])
    with Fetcher(GUARDED, resolver=resolver) as f:
        with pytest.raises(BlockedAddress, match=r"^refused: intranet\.example resolves to "
                                                 r"10\.0\.0\.1, a private address"):
            f.get("http://intranet.example/")
    assert connections == []


def test_one_private_answer_among_public_ones_refuses_the_name(monkeypatch):
    connections = record_connections(monkeypatch)
    resolver = Resolver(["127.0.0.1", "169.254.169.254"])
    with Fetcher(GUARDED, allow_addresses=["127.0.0.1"], resolver=resolver) as f:
        with pytest.raises(BlockedAddress, match="169.254.169.254"):
            f.get("http://mixed.example/")
    assert connections == []


def test_a_hanging_resolver_is_bounded_by_the_timeout():
    resolver = Resolver(["127.0.0.1"], delay=3.0)
    with Fetcher(GUARDED.with_(fetch_timeout=0.3), resolver=resolver) as f:
        started = time.monotonic()
        with pytest.raises(FetchTimeout, match=r"timed out connecting to slow\.example"):
            f.get("http://slow.example/")
    assert time.monotonic() - started < 1


def test_a_failing_resolver_is_a_clear_error():
    def broken(host, port):
        import socket
        raise socket.gaierror(-2, "Name or service not known")

    with Fetcher(GUARDED, resolver=broken) as f:
        with pytest.raises(FetchError, match=r"^cannot resolve gone\.example: Name or service"):
            f.get("http://gone.example/")


def test_the_guard_holds_for_many_threads_at_once(monkeypatch):
    connections = record_connections(monkeypatch)
    outcomes = []
    with LoopbackServer({"/": Response(body=b"ok")}) as server, \
            Fetcher(GUARDED, allow_addresses=["127.0.0.1"]) as f:
        def work(url):
            try:
                outcomes.append(f.get(url).body)
            except BlockedAddress:
                outcomes.append("blocked")
        urls = [server.url(), "http://10.9.9.9/"] * 5
        threads = [threading.Thread(target=work, args=(url,)) for url in urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join(5)
    assert sorted(outcomes, key=str) == [b"ok"] * 5 + ["blocked"] * 5
    assert connections and all(address[0] == "127.0.0.1" for address in connections)


# ------------------------------------------------------------------ allowed_origins
@pytest.mark.parametrize("entry, origin", [
    ("http://127.0.0.1:8170", ("http", "127.0.0.1", 8170)),
    ("https://Feeds.Intranet.example/", ("https", "feeds.intranet.example", 443)),
    ("http://[::1]:8080", ("http", "::1", 8080)),
    ("http://bücher.example", ("http", "xn--bcher-kva.example", 80)),
])
def test_an_allowed_origin_is_read_as_scheme_host_and_port(entry, origin):
    assert Settings(allowed_origins=f" {entry} , ").allowed_origin_list == [origin]


@pytest.mark.parametrize("entry", ["127.0.0.1:8170", "ftp://127.0.0.1", "http://127.0.0.1/feed",
                                   "http://user@127.0.0.1", "http://127.0.0.1:99999", "http://"])
def test_anything_but_an_origin_is_a_config_error(entry):
    from newsdesk.errors import ConfigError
    with pytest.raises(ConfigError, match="allowed_origins: .* is not an origin"):
        Settings(allowed_origins=entry)


def test_an_allowed_origin_opens_exactly_that_origin(monkeypatch):
    """Allowing http://127.0.0.1:PORT lets that server be fetched; other spellings of the
    same address (a name, short and integer forms, IPv4-mapped IPv6), another port and
    another scheme stay refused, and are never connected to."""
    connections = record_connections(monkeypatch)
    routes = {"/feed": Response(body=b"allowed")}
    with LoopbackServer(routes) as server, LoopbackServer(routes) as other:
        port = server.port
        settings = GUARDED.with_(allowed_origins=f"http://127.0.0.1:{port}")
        with Fetcher(settings, resolver=lambda host, _port: ["127.0.0.1"]) as f:
            assert f.get(server.url("/feed")).body == b"allowed"
            for url in (f"http://localhost:{port}/feed", f"http://127.1:{port}/feed",
                        f"http://2130706433:{port}/feed", f"http://0x7f000001:{port}/feed",
                        f"http://[::ffff:127.0.0.1]:{port}/feed", f"http://127.0.0.1.:{port}/feed",
                        f"https://127.0.0.1:{port}/feed", other.url("/feed")):
                with pytest.raises(BlockedAddress, match="refused: .*loopback"):
                    f.get(url)
    assert {address[1] for address in connections} == {port}
    assert other.requests == []


def test_a_redirect_from_an_allowed_origin_to_another_is_refused():
    with LoopbackServer({"/ok": Response(body=b"inner")}) as inner:
        routes = {"/hop": Response(302, {"Location": inner.url("/ok")}),
                  "/meta": Response(302, {"Location": "http://169.254.169.254/latest/"})}
        with LoopbackServer(routes) as server:
            settings = GUARDED.with_(allowed_origins=server.url(""))
            with Fetcher(settings) as f:
                with pytest.raises(BlockedAddress, match="loopback"):
                    f.get(server.url("/hop"))
                with pytest.raises(BlockedAddress, match="cloud metadata"):
                    f.get(server.url("/meta"))
    assert inner.requests == []
