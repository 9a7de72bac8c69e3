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
from test_community_support import PASSWORD, LiveServer

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
    ``MAX_LEASE``; renewal stays before its end."""
    from newsdesk.ingest.websub import MAX_LEASE
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
            assert row["state"] == "active" and row["lease_seconds"] == MAX_LEASE
            assert row["next_attempt_at"] < row["expires_at"]
