"""Hostile requests to the feed-reader APIs (Google Reader, Fever) on a real server: numbers
past what a database column or a datetime can hold are a clear 400, never a 500, and
they change nothing stored.

Found by spraying every route with out-of-range values: a Fever ``id`` or ``with_ids`` past
2**63 reached SQLite ("Python int too large to convert to SQLite INTEGER") and a Google
Reader ``ot``/``nt`` or Fever ``before`` past year 9999 reached ``datetime`` ("year 33658
is out of range"): each answered 500 and made uvicorn drop the connection.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from apps_support import GReader, app_for, fever_key, make_world
from servers import LiveServer

TOO_BIG = ["9223372036854775808", "9999999999999999999", "-9223372036854775809"]
PAST_9999 = ["253402300800", "999999999999"]


@pytest.fixture
def api(settings, db):
    world = make_world(db)
    with LiveServer(app_for(settings, db)) as server, \
            httpx.Client(base_url=server.url, timeout=10) as http:
        reader = GReader(server.url)
        assert reader.login("alice", world.app_password).status_code == 200
        key = fever_key("alice", world.app_password)

        def fever(query: str = "", **form) -> httpx.Response:
            return http.post(f"/fever/?api{query}", data={"api_key": key, **form})
        yield world, reader, fever
        reader.close()


def _state(db) -> list:
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT user_id, article_id, is_read, starred FROM item_state ORDER BY 1, 2"))]


def test_out_of_range_numbers_and_times_are_a_400_and_change_nothing(api, db):
    world, reader, fever = api
    before = _state(db)
    answers = []
    for value in TOO_BIG:
        for mark, how in (("item", "read"), ("item", "unread"), ("item", "saved"),
                          ("feed", "read"), ("group", "read")):
            answers.append(fever(mark=mark, **{"as": how}, id=value))
        for name in ("with_ids", "max_id", "since_id"):
            answers.append(fever(f"&items&{name}={value}"))
    for value in PAST_9999:
        answers.append(fever(mark="group", **{"as": "read"}, id="0", before=value))
        answers.append(fever(mark="feed", **{"as": "read"}, id=str(world.sources[0].id),
                             before=value))
        for name in ("ot", "nt"):
            answers.append(reader.get("stream/items/ids", output="json", **{name: value}))
            answers.append(reader.get("stream/contents", **{name: value}))
    for answer in answers:
        assert answer.status_code == 400, (answer.request.url, answer.text[:200])
        assert "must be" in answer.text, answer.text[:200]
    assert _state(db) == before
    # the same connection keeps working, and in-range values still do
    assert fever("&items&since_id=0").json()["total_items"] > 0
    assert reader.ids(ot="0", nt="253402300799")


def test_a_hub_verifying_with_an_absurd_lease_gets_its_challenge_and_a_bounded_lease(settings, db):
    """A hub's ``hub.lease_seconds`` of 14 or 5,000 digits overflowed ``timedelta`` (or
    ``int()``): a 500, so the subscription was never confirmed. The lease is now held to
    a year; renewal stays before its end."""
    from newsdesk.storage import sources as source_store
    from newsdesk.storage import websub as websub_store
    from newsdesk.web import create_app
    source = source_store.add_source(db, "https://hub-test.example/feed.xml")
    topic = "https://hub-test.example/feed.xml"
    token = "t" * 32
    websub_store.want(db, source.id, "https://hub.example/", topic, "s" * 64, token)
    settings = settings.with_(public_url="http://127.0.0.1:9/")   # WebSub is on
    with LiveServer(create_app(settings, db)) as server:
        for n, lease in enumerate(("99999999999999", "9" * 5000, "9223372036854775808")):
            websub_store.update(db, source.id, state="requested")
            answer = httpx.get(f"{server.url}/websub/{source.id}/{token}", params={
                "hub.mode": "subscribe", "hub.topic": topic, "hub.challenge": f"c{n}",
                "hub.lease_seconds": lease}, timeout=10)
            assert answer.status_code == 200 and answer.text == f"c{n}", answer.text[:200]
            row = websub_store.get(db, source.id)
            assert row["state"] == "active" and row["lease_seconds"] == 365 * 86400
            assert row["next_attempt_at"] < row["expires_at"]


def _send(port: int, request: bytes, wait: float) -> bytes:
    """Send ``request`` on a raw socket, keep it open, and return what came back."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        conn.sendall(request)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
        return answer


def test_a_stalled_or_dripping_body_is_a_408_within_the_bound_and_hanging_up_is_quiet(
        settings, db, caplog):
    """A client that declares more body than it sends held the request open for as long as
    it liked, and hanging up then was logged as an unhandled 500 ("ClientDisconnect"). Now
    the body must arrive within ``request_body_timeout``; a client that leaves is an info."""
    import logging
    import time
    from test_community_support import make_app
    app, _ = make_app(settings.with_(request_body_timeout=1.0), db)
    head = (b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n")
    with LiveServer(app) as server, caplog.at_level(logging.INFO):
        started = time.monotonic()
        stalled = _send(server.port, head + b"Content-Length: 5000\r\n\r\nusername=a", wait=4)
        assert stalled.startswith(b"HTTP/1.1 408") and b"did not arrive within 1 s" in stalled
        assert time.monotonic() - started < 3.5
        for api in (b"POST /reader/api/0/edit-tag", b"POST /fever/?api"):   # the apps' bodies too
            answer = _send(server.port, head.replace(b"POST /login", api)
                           + b"Content-Length: 99\r\n\r\ni=1", wait=4)
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        import socket
        with socket.create_connection(("127.0.0.1", server.port)) as conn:  # leaves mid-body
            conn.sendall(head + b"Content-Length: 5000\r\n\r\nusername=a")
            time.sleep(0.3)
        time.sleep(0.5)
        assert httpx.get(f"{server.url}/login").status_code == 200
    unhandled = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not unhandled, [r.getMessage() for r in unhandled]


def test_since_at_the_ends_of_the_calendar_is_a_400_not_a_lost_ai_panel(tmp_path, caplog):
    """``since=9999-12-31T23:59:59-14:00`` is past year 9999 in UTC: the story page's AI
    panel died of OverflowError (logged, panel gone) on every such link."""
    import logging
    from test_web_fixtures import build_site
    from newsdesk.web import create_app
    site = build_site(tmp_path)
    story, article = site["story_id"], site["story_articles"][0]
    extremes = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31",
                "0001-01-01"]
    try:
        with LiveServer(create_app(site["settings"], site["db"])) as server, \
                caplog.at_level(logging.INFO):
            for value in extremes:
                for path in (f"/stories/{story}", f"/stories/{story}.json", f"/stories/{story}/ai",
                             f"/articles/{article}", f"/articles/{article}/ai", "/threads/1"):
                    answer = httpx.get(server.url + path, params={"since": value}, timeout=30)
                    assert answer.status_code in (400, 404), (path, value, answer.status_code)
                    if answer.status_code == 400:
                        assert "since must fall between the years 1000 and 9998" in answer.text
                # a carried last visit out of range is ignored, the page still renders
                assert httpx.get(f"{server.url}/stories/{story}", params={"last": value},
                                 timeout=30).status_code == 200
            fine = httpx.get(f"{server.url}/stories/{story}", params={"since": "2022-02-12"},
                             timeout=30)
            assert fine.status_code == 200
    finally:
        site["db"].close()
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, failures


def test_nul_in_a_url_a_form_or_an_api_call_is_never_a_500(api, db):
    """PostgreSQL refuses NUL in text parameters: a Google Reader label or title with NUL,
    ``/?category=%00`` and ``/tags/a%00b`` were 500s there (SQLite stored or matched them).
    NUL now leaves URLs at the edge, and a form or API body holding one is a 400."""
    world, reader, fever = api
    base = str(reader.http.base_url)
    before = _state(db)
    token = reader.token()
    for form in ({"ac": "edit", "s": f"feed/{world.sources[0].id}", "t": "a\x00b"},
                 {"ac": "subscribe", "s": f"feed/{world.sources[0].id}",
                  "a": "user/-/label/a\x00b"}):
        answer = reader.post("subscription/edit", {**form, "T": token})
        assert answer.status_code == 400 and "NUL" in answer.text, answer.text[:200]
    assert reader.post("rename-tag", {"s": "user/-/label/world", "dest": "user/-/label/\x00",
                                      "T": token}).status_code == 400
    assert fever(api_key="\x00").status_code == 400
    with httpx.Client(base_url=base, timeout=10) as site:
        for url, status in (("/?category=%00", 200), ("/tags/a%00b", 404),
                            ("/search?q=grain%00", 200), ("/outlets/1%00", 200)):
            answer = site.get(url)
            assert answer.status_code == status, (url, answer.status_code, answer.text[:200])
        signup = site.post("/signup", data={"username": "nul\x00", "password": "x" * 12,
                                            "email": "n@x.org"})
        assert signup.status_code == 400 and "NUL" in signup.text
    assert _state(db) == before
    with db.read() as conn:
        labels = [r[0] for r in conn.execute(text("SELECT label FROM app_subscriptions"))]
    assert not any("\x00" in (label or "") for label in labels)


def test_an_admin_form_with_nul_is_a_400_and_adds_no_rule(settings, db):
    """The admin's filter rule with a NUL pattern reached PostgreSQL (a 500 there)."""
    from lxml import html as lxml_html
    from newsdesk.storage import sources as source_store
    from newsdesk.web import create_app
    source = source_store.add_source(db, "https://admin-nul.example/feed.xml")
    app = create_app(settings.with_(admin_password="admin pass", secret_key="k"), db)
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as admin:
        csrf = lxml_html.fromstring(admin.get("/admin/login").text).xpath(
            "//input[@name='csrf']/@value")[0]
        assert admin.post("/admin/login", data={"csrf": csrf, "password": "admin pass"}
                          ).status_code in (200, 303)
        csrf = lxml_html.fromstring(admin.get("/admin").text).xpath(
            "//input[@name='csrf']/@value")[0]
        answer = admin.post(f"/admin/sources/{source.id}/filters", data={
            "csrf": csrf, "action": "block", "field": "title", "kind": "contains",
            "pattern": "war\x00"})
        assert answer.status_code == 400 and "control characters" in answer.text
        with db.read() as conn:
            assert not list(conn.execute(text("SELECT * FROM source_filters")))
