"""WebSub against a local hub: discovery, subscription with a secret, the hub's
verification of our callback, signed pushes stored through the polling path, refused bad
signatures, lease renewal, and polling as the fallback when the hub fails."""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
import uvicorn

from newsdesk.ingest import pushes, websub
from newsdesk.ingest.refresh import Ingest, refresh_source
from newsdesk.storage import articles as article_store
from newsdesk.storage import sources as source_store
from newsdesk.storage import websub as websub_store
from newsdesk.storage.sources import now
from newsdesk.web import create_app
from tests.servers import LoopbackServer, Response
from tests.test_pipeline import article_page


class Hub:
    """A WebSub hub on loopback: takes subscription requests (202), verifies the
    callback with a challenge from another thread, and distributes signed content."""

    def __init__(self, server: LoopbackServer):
        self.server = server
        self.failing = False
        self.lease = 600
        self.requests: list[dict] = []
        self.verified: list[dict] = []
        server.routes["/hub"] = self.subscribe

    def subscribe(self, request) -> Response:
        if self.failing:
            return Response(503, {}, b"hub down")
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        self.requests.append(form)
        threading.Thread(target=self._verify, args=(form,), daemon=True).start()
        return Response(202, {}, b"")

    def _verify(self, form: dict) -> None:
        challenge = "c-" + str(len(self.requests))
        query = urlencode({"hub.mode": form["hub.mode"], "hub.topic": form["hub.topic"],
                           "hub.challenge": challenge, "hub.lease_seconds": self.lease})
        answer = httpx.get(form["hub.callback"] + "?" + query, timeout=10)
        self.verified.append({"ok": answer.status_code == 200 and answer.text == challenge, **form})

    def push(self, body: bytes, *, secret: str | None = None, method: str = "sha256",
             callback: str | None = None) -> httpx.Response:
        form = self.requests[-1]
        key = (secret if secret is not None else form["hub.secret"]).encode()
        headers = {"Content-Type": "application/rss+xml",
                   "X-Hub-Signature": f"{method}=" + hmac.new(key, body, getattr(hashlib, method)).hexdigest()}
        return httpx.post(callback or form["hub.callback"], content=body, headers=headers, timeout=10)


def feed(server: LoopbackServer, items: list[int]) -> bytes:
    entries = "".join(f"<item><title>Report {i}</title><link>{server.url(f'/news/{i}')}</link>"
                      f"<guid>{server.url(f'/news/{i}')}</guid><description>Report number {i}."
                      f"</description></item>" for i in items)
    return (f'<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
            f'<channel><title>Pushed News</title><link>{server.url("/")}</link>'
            f'<atom:link rel="hub" href="{server.url("/hub")}"/>'
            f'<atom:link rel="self" href="{server.url("/feed.xml")}"/>{entries}</channel></rss>').encode()


def wait(condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def outlet():
    server = LoopbackServer().start()
    server.routes["/feed.xml"] = Response(200, {"Content-Type": "application/rss+xml"}, feed(server, [0]))
    for i in range(3):
        server.routes[f"/news/{i}"] = Response(200, {"Content-Type": "text/html; charset=utf-8"},
                                               article_page(f"Report {i}", server.url(f"/news/{i}")))
    hub = Hub(server)
    yield server, hub
    server.stop()


@pytest.fixture
def site(pipeline_settings, db):
    """Our web app on a real port, so the hub can call it back at public_url."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = pipeline_settings.with_(public_url=f"http://127.0.0.1:{port}", websub_lease=3600,
                                       max_response_bytes=100_000)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=port,
                                           log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait(lambda: server.started)
    yield settings
    server.should_exit = True
    thread.join(timeout=10)


def test_subscribe_verify_push_renew_and_refuse_bad_signatures(site, db, outlet):
    server, hub = outlet
    settings = site
    source = source_store.add_source(db, server.url("/feed.xml"))
    with Ingest.open(settings, db) as ingest:
        assert len(refresh_source(ingest, source).new_ids) == 1
        row = websub_store.get(db, source.id)
        assert (row["hub"], row["topic"], row["state"]) == (server.url("/hub"), server.url("/feed.xml"), "new")

        assert websub.maintain(ingest) == 1
        asked = hub.requests[-1]
        assert asked["hub.mode"] == "subscribe" and asked["hub.topic"] == server.url("/feed.xml")
        assert asked["hub.callback"].startswith(settings.public_url + f"/websub/{source.id}/")
        assert len(asked["hub.secret"]) == 64 and asked["hub.lease_seconds"] == "3600"
        wait(lambda: hub.verified)
        assert hub.verified[-1]["ok"]                      # we echoed the challenge
        row = websub_store.get(db, source.id)
        assert row["state"] == "active" and row["lease_seconds"] == 600
        assert timedelta(seconds=590) < row["expires_at"] - now() <= timedelta(seconds=600)
        # polling slows down to the safety net while the hub pushes
        refresh_source(ingest, source_store.get_source(db, source.id))
        due = source_store.get_source(db, source.id).next_check_at - now()
        assert due > timedelta(seconds=settings.websub_poll_interval - 60)

        # a signed push is queued, then stored by the worker through the polling path
        assert hub.push(feed(server, [0, 1])).status_code == 202
        assert pushes.process_pushes(ingest) == 1
        titles = {a.title for a in article_store.list_articles(db)}
        assert titles == {"Report 0", "Report 1"}
        assert websub_store.get(db, source.id)["pushes"] == 1

        # forged, unsigned, unknown, oversized: refused, nothing queued
        assert hub.push(feed(server, [2]), secret="wrong").status_code == 403
        unsigned = httpx.post(asked["hub.callback"], content=feed(server, [2]), timeout=10)
        assert unsigned.status_code == 403
        assert hub.push(feed(server, [2]), callback=asked["hub.callback"][:-3] + "xyz").status_code == 404
        big = httpx.post(asked["hub.callback"], content=b"x" * 200_000, timeout=10,
                         headers={"X-Hub-Signature": "sha256=00"})
        assert big.status_code == 413
        assert pushes.process_pushes(ingest) == 0
        assert {a.title for a in article_store.list_articles(db)} == titles
        # sha1 signatures (WebSub's oldest method) are accepted too
        assert hub.push(feed(server, [0, 1, 2]), method="sha1").status_code == 202
        assert pushes.process_pushes(ingest) == 1 and article_store.count_articles(db) == 3

        # renewal: asked again before the lease ends, with the same callback and secret
        websub_store.update(db, source.id, next_attempt_at=now() - timedelta(seconds=1))
        assert websub.maintain(ingest) == 1
        wait(lambda: len(hub.verified) == 2)
        assert hub.requests[-1]["hub.secret"] == asked["hub.secret"]
        assert hub.requests[-1]["hub.callback"] == asked["hub.callback"]
        assert websub_store.get(db, source.id)["state"] == "active"


def test_a_failing_hub_leaves_the_source_on_polling(site, db, outlet):
    server, hub = outlet
    hub.failing = True
    source = source_store.add_source(db, server.url("/feed.xml"))
    with Ingest.open(site, db) as ingest:
        refresh_source(ingest, source)
        assert websub.maintain(ingest) == 1
        row = websub_store.get(db, source.id)
        assert row["state"] == "failed" and row["failures"] == 1 and "503" in row["last_error"]
        assert row["next_attempt_at"] > now()
        assert websub.maintain(ingest) == 0                 # not before its backoff
        refresh_source(ingest, source_store.get_source(db, source.id))
        due = source_store.get_source(db, source.id).next_check_at - now()
        assert due <= timedelta(seconds=site.poll_interval)  # the normal interval


def test_verification_only_for_what_we_asked(site, db, outlet):
    server, hub = outlet
    source = source_store.add_source(db, server.url("/feed.xml"))
    with Ingest.open(site, db) as ingest:
        refresh_source(ingest, source)
    row = websub_store.get(db, source.id)
    callback = websub.callback_url(site.public_url, source.id, row["token"])
    ask = {"hub.mode": "subscribe", "hub.topic": row["topic"], "hub.challenge": "x"}
    # state 'new': we have not asked yet, so a hub (or anyone) cannot confirm it
    assert httpx.get(callback, params=ask).status_code == 404
    websub_store.update(db, source.id, state="requested")
    assert httpx.get(callback, params=dict(ask, **{"hub.topic": "http://other/feed"})).status_code == 404
    assert httpx.get(callback.replace(row["token"], "guess"), params=ask).status_code == 404
    assert httpx.get(callback, params=ask).text == "x"
    denied = {"hub.mode": "denied", "hub.topic": row["topic"], "hub.reason": "not allowed"}
    assert httpx.get(callback, params=denied).status_code == 200
    assert websub_store.get(db, source.id)["state"] == "denied"


def test_header_links_and_signatures():
    links = websub.header_links('<https://hub.example/>; rel="hub", <https://x.example/f>; rel="self"')
    assert links == {"hub": ["https://hub.example/"], "self": ["https://x.example/f"]}
    body = b"<rss/>"
    good = "sha512=" + hmac.new(b"k", body, hashlib.sha512).hexdigest()
    assert websub.signature_ok("k", body, good)
    assert not websub.signature_ok("k", body + b" ", good)
    assert not websub.signature_ok("k", body, "md5=" + hashlib.md5(body).hexdigest())
    assert not websub.signature_ok("k", body, None)
