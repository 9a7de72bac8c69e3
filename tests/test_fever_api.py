"""The Fever API as its spec writes the requests (POST api_key to ``?api&...``), with every
answer's fields checked, on a real server; and its state shared with the Google Reader API
and the site."""

from __future__ import annotations

import httpx
import pytest

from apps_support import GReader, app_for, fever_key, make_world
from newsdesk.community.follows import Follows
from newsdesk.storage import appauth
from test_community_support import PASSWORD, LiveServer

ITEM_FIELDS = {"id", "feed_id", "title", "author", "html", "url", "is_saved", "is_read",
               "created_on_time"}


@pytest.fixture
def fever(settings, db):
    world = make_world(db)
    with LiveServer(app_for(settings, db)) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        key = fever_key("alice", world.app_password)

        def call(query: str = "", path: str = "/fever/", **form):
            return http.post(f"{path}?api{query}", data={"api_key": key, **form})
        yield world, call, http, server


def _base(body: dict) -> None:
    assert body["api_version"] == 3 and body["auth"] == 1
    assert isinstance(body["last_refreshed_on_time"], int)


def test_auth_by_username_or_email_key_and_refusals(fever):
    world, call, http, server = fever
    body = call().json()
    _base(body)
    email_key = fever_key("alice@example.org", world.app_password)
    assert http.post("/api/fever.php?api", data={"api_key": email_key}).json()["auth"] == 1
    for key in ("", "0" * 32, fever_key("alice", PASSWORD), "not hex at all"):
        wrong = http.post("/fever/?api", data={"api_key": key})
        assert wrong.status_code == 401 and wrong.json() == {"api_version": 3, "auth": 0}
    # the key in the URL is not read (it would end up in logs)
    assert http.get(f"/fever/?api&api_key={fever_key('alice', world.app_password)}").status_code == 401
    assert http.post("/fever/", data={"api_key": fever_key("alice", world.app_password)}).status_code == 400


def test_groups_feeds_favicons_links(fever):
    world, call, http, server = fever
    groups = call("&groups").json()
    _base(groups)
    titles = {g["title"]: g["id"] for g in groups["groups"]}
    assert set(titles) == {"local", "world"} and all(isinstance(i, int) and i > 0 for i in titles.values())
    one, two, three = (s.id for s in world.sources)
    mapping = {g["group_id"]: sorted(map(int, g["feed_ids"].split(","))) for g in groups["feeds_groups"]}
    assert mapping == {titles["world"]: sorted([one, two]), titles["local"]: [three]}
    feeds = call("&feeds").json()
    assert {f["id"] for f in feeds["feeds"]} == {one, two, three}
    for feed in feeds["feeds"]:
        assert set(feed) == {"id", "favicon_id", "title", "url", "site_url", "is_spark",
                             "last_updated_on_time"}
        assert feed["is_spark"] == 0 and isinstance(feed["last_updated_on_time"], int)
    assert "feeds_groups" in feeds
    assert call("&favicons").json()["favicons"] == [] and call("&links").json()["links"] == []


def test_items_since_max_with_ids(fever):
    world, call, http, server = fever
    appauth.set_item_mode(world.db, world.alice.id, "articles")
    everything = world.all_articles
    first = call("&items").json()
    _base(first)
    assert first["total_items"] == len(everything)
    assert [i["id"] for i in first["items"]] == everything          # oldest first from 0
    for item in first["items"]:
        assert set(item) == ITEM_FIELDS
        assert item["is_read"] in (0, 1) and item["is_saved"] in (0, 1)
        assert isinstance(item["created_on_time"], int) and item["html"]
    since = call(f"&items&since_id={everything[3]}").json()["items"]
    assert [i["id"] for i in since] == everything[4:]
    newest = call("&items&max_id=0").json()["items"]
    assert [i["id"] for i in newest] == everything[::-1]
    older = call(f"&items&max_id={everything[3]}").json()["items"]
    assert [i["id"] for i in older] == everything[:3][::-1]
    chosen = call(f"&items&with_ids={everything[0]},{everything[5]}").json()["items"]
    assert sorted(i["id"] for i in chosen) == [everything[0], everything[5]]
    assert call("&items&since_id=abc").status_code == 400
    # stories mode: the wire story is one item, with its coverage in the HTML
    appauth.set_item_mode(world.db, world.alice.id, "stories")
    items = {i["id"]: i for i in call("&items&max_id=0").json()["items"]}
    assert world.wire_articles[-1] in items and world.wire_articles[0] not in items
    assert "Also covered by" in items[world.wire_articles[-1]]["html"]


def test_mark_and_sync_ids_shared_with_greader_and_site(fever, settings):
    world, call, http, server = fever
    appauth.set_item_mode(world.db, world.alice.id, "articles")
    unread = lambda: [int(i) for i in call("&unread_item_ids").json()["unread_item_ids"].split(",") if i]  # noqa: E731
    assert unread() == world.all_articles
    assert call("&saved_item_ids").json()["saved_item_ids"] == ""
    target = world.loose[0]
    assert call(mark="item", **{"as": "read"}, id=str(target)).json()["auth"] == 1
    assert target not in unread()
    call(mark="item", **{"as": "saved"}, id=str(target))
    assert call("&saved_item_ids").json()["saved_item_ids"] == str(target)
    reader = GReader(server.url)                        # the Google Reader API sees the same
    reader.login("alice", world.app_password)
    assert reader.ids(s="user/-/state/com.google/starred") == [target]
    assert target in reader.ids(s="user/-/state/com.google/read")
    reader.close()
    call(mark="item", **{"as": "unread"}, id=str(target))
    call(mark="item", **{"as": "unsaved"}, id=str(target))
    assert target in unread() and call("&saved_item_ids").json()["saved_item_ids"] == ""
    three = world.sources[2].id
    call(mark="feed", **{"as": "read"}, id=str(three), before="4102444800")
    assert not set(unread()) & set(world.local_articles + world.wire_articles[2:])
    world_group = next(g["id"] for g in call("&groups").json()["groups"] if g["title"] == "world")
    call(mark="group", **{"as": "read"}, id=str(world_group), before="1")     # nothing that old
    assert len(unread()) == 5
    Follows(world.db).follow(world.alice, "outlet", str(world.sources[0].id))
    # the site agrees: "My news" has nothing new for alice any more
    news = Follows(world.db)
    assert news.my_news(world.alice)[0]["new_count"] == 3
    call(mark="group", **{"as": "read"}, id="0", before="4102444800")       # group 0: everything
    assert unread() == []
    assert news.my_news(world.alice)[0]["new_count"] == 0
    assert call(mark="item", **{"as": "eaten"}, id=str(target)).status_code == 400
