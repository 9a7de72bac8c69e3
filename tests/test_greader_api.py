"""The Google Reader API on a real server: logging in with the account password or an app
password, per-device tokens, subscriptions as the site's sources, streams of stories or
articles with continuations and filters, every item id form, read and starred state shared
with the site, mark-all-as-read, unread counts, subscribing."""

from __future__ import annotations

import pytest

from apps_support import LONG, GReader, app_for, make_world
from newsdesk.community.follows import Follows
from newsdesk.storage import appauth
from test_community_support import PASSWORD, LiveServer


@pytest.fixture
def served(settings, db):
    world = make_world(db)
    with LiveServer(app_for(settings, db)) as server:
        reader = GReader(server.url)
        yield world, server, reader
        reader.close()


def test_login_forms_and_refusals(served):
    world, server, reader = served
    ok = reader.login("alice", PASSWORD)
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/plain")
    lines = dict(line.split("=", 1) for line in ok.text.strip().splitlines())
    assert set(lines) == {"SID", "LSID", "Auth"} and "=" not in lines["Auth"]   # NetNewsWire splits on "="
    as_json = reader.login("alice@example.org", world.app_password, output="json")
    assert as_json.json()["Auth"] and as_json.json()["Auth"] != lines["Auth"]   # one token per login
    assert reader.login("ALICE", world.app_password).status_code == 200       # usernames ignore case
    bad = reader.login("alice", "wrong password!")
    assert bad.status_code == 401 and "BadAuthentication" in bad.text
    assert reader.login("nobody", PASSWORD).status_code == 401
    got = reader.http.get("/accounts/ClientLogin", params={"Email": "alice", "Passwd": PASSWORD})
    assert got.status_code == 405                     # a password in a URL is refused
    prefixed = GReader(server.url, "/api/greader.php")   # FreshRSS's prefix
    assert prefixed.login("alice", world.app_password).status_code == 200
    assert prefixed.get("user-info").json()["userName"] == "alice"
    prefixed.close()


def test_wrong_or_missing_token_is_401(served):
    world, server, reader = served
    assert reader.get("user-info").status_code == 401
    for header in ("GoogleLogin auth=nope", "Bearer abc", "GoogleLogin", "GoogleLogin auth="):
        response = reader.http.get("/reader/api/0/user-info", headers={"Authorization": header})
        assert response.status_code == 401 and response.headers["google-bad-token"] == "true"
    reader.login("alice", world.app_password)
    info = reader.get("user-info", output="json").json()
    assert info["userName"] == "alice" and info["userEmail"] == "alice@example.org"
    # the token never works from the URL
    raw = reader.http.get("/reader/api/0/user-info", params={"auth": reader.auth, "T": reader.auth})
    assert raw.status_code == 401


def test_action_token_as_clients_send_it(served):
    world, server, reader = served
    reader.login("alice", world.app_password)
    t = reader.token()
    assert len(t) == 57
    item = world.loose[0]
    for sent in (t, t + "\n", "", "x", None, reader.auth):     # token, NNW's newline, FeedMe, Reeder, Fluent
        data = {"i": str(item), "a": "user/-/state/com.google/starred"}
        if sent is not None:
            data["T"] = sent
        assert reader.post("edit-tag", data).text == "OK"
    wrong = reader.post("edit-tag", {"i": str(item), "a": "user/-/state/com.google/read", "T": "z" * 57})
    assert wrong.status_code == 401
    # Miniflux style: no header, the token as T
    bare = GReader(server.url)
    assert bare.http.post("/reader/api/0/edit-tag", data={"T": reader.auth, "i": str(item),
                          "a": "user/-/state/com.google/read"}).text == "OK"
    bare.close()


def test_subscriptions_are_the_sites_sources_grouped_by_category(served):
    world, server, reader = served
    reader.login("alice", world.app_password)
    subs = reader.get("subscription/list", output="json").json()["subscriptions"]
    one, two, three = world.sources
    assert [s["id"] for s in subs] == [f"feed/{three.id}", f"feed/{one.id}", f"feed/{two.id}"]
    by_title = {s["title"]: s for s in subs}
    assert set(by_title) == {"Outlet One", "Outlet Two", "Outlet Three"}
    assert by_title["Outlet Three"]["categories"] == [{"id": "user/-/label/local", "label": "local",
                                                       "type": "folder"}]
    assert by_title["Outlet One"]["url"] == "https://one.example/feed"
    tags = [t["id"] for t in reader.get("tag/list", output="json").json()["tags"]]
    assert tags == ["user/-/state/com.google/starred", "user/-/label/local", "user/-/label/world"]


def test_stories_mode_one_item_per_story_and_articles_mode_every_article(served):
    world, server, reader = served
    reader.login("alice", world.app_password)
    heads = reader.ids(s="user/-/state/com.google/reading-list", n=1000)
    expected = sorted([world.wire_articles[-1], world.local_articles[-1]] + world.loose, reverse=True)
    assert heads == expected                     # the wire story once, as its newest article
    appauth.set_item_mode(world.db, world.alice.id, "articles")
    assert reader.ids(s="user/-/state/com.google/reading-list", n=1000) == world.all_articles[::-1]
    # paging with continuations: two at a time, oldest first too
    seen, cont = [], None
    while True:
        params = {"s": "user/-/state/com.google/reading-list", "n": 2, "output": "json"}
        if cont:
            params["c"] = cont
        body = reader.get("stream/items/ids", **params).json()
        seen += [int(r["id"]) for r in body["itemRefs"]]
        cont = body.get("continuation")
        if not cont:
            break
    assert seen == world.all_articles[::-1]
    assert reader.ids(s="user/-/state/com.google/reading-list", n=1000, r="o") == world.all_articles
    three = world.sources[2].id
    assert reader.ids(s=f"feed/{three}") == sorted([world.wire_articles[2]] + world.local_articles,
                                                   reverse=True)
    assert reader.ids(s="feed/https://three.example/feed") == reader.ids(s=f"feed/{three}")
    assert set(reader.ids(s="user/-/label/local")) == set(reader.ids(s=f"feed/{three}"))
    assert reader.ids(s="user/1234/label/local") == reader.ids(s="user/-/label/local")
    assert reader.get("stream/items/ids", s="feed/999999", output="json").status_code == 404
    assert reader.get("stream/items/ids", s="nonsense", output="json").status_code == 400
    assert reader.ids(s="user/-/state/com.google/reading-list", ot="4102444800") == []   # year 2100


def test_item_id_forms_contents_and_the_story_item(served):
    world, server, reader = served
    reader.login("alice", world.app_password)
    head = world.wire_articles[-1]
    forms = [f"{LONG}{head:016x}", f"{LONG}{head:x}", f"{head:016x}", str(head)]
    for form in forms:
        items = reader.post("stream/items/contents", {"i": form}, params={"output": "json"}).json()["items"]
        assert [i["id"] for i in items] == [f"{LONG}{head:016x}"]
    item = items[0]
    assert item["origin"]["streamId"] == f"feed/{world.sources[2].id}"
    assert "user/-/state/com.google/reading-list" in item["categories"]
    assert "user/-/label/world" not in item["categories"] and "user/-/label/local" in item["categories"]
    html = item["summary"]["content"]
    assert "Ceasefire agreed" in html and "Also covered by" in html
    assert "Outlet One" in html and "Outlet Two" in html and "(+2 more)" in item["title"]
    assert int(item["timestampUsec"]) // 1000 == int(item["crawlTimeMsec"])
    bad = reader.post("stream/items/contents", {"i": "tag:google.com,2005:reader/item/xyz"})
    assert bad.status_code == 400
    loose = reader.post("stream/items/contents", {"i": [str(world.loose[0]), str(world.loose[1])]}).json()
    assert [int(i["id"][len(LONG):], 16) for i in loose["items"]] == sorted(world.loose[:2], reverse=True)
    assert "Also covered by" not in loose["items"][0]["summary"]["content"]


def test_read_and_starred_state_is_shared_with_the_site(served):
    world, server, reader = served
    reader.login("alice", world.app_password)
    unread = lambda: reader.ids(s="user/-/state/com.google/reading-list",   # noqa: E731
                                xt="user/-/state/com.google/read", n=1000)
    head = world.wire_articles[-1]
    assert head in unread()
    # an app marks the story's item read: the site knows the story is read
    assert reader.post("edit-tag", {"i": f"{LONG}{head:016x}", "a": "user/-/state/com.google/read"}).text == "OK"
    follows = Follows(world.db)
    assert follows.read_state(world.alice, world.wire)["seen_article_id"] == head
    assert head not in unread()
    assert head in reader.ids(s="user/-/state/com.google/read")
    # the site opens a story: it is read in the app
    follows.mark_read(world.alice, world.local)
    assert world.local_articles[-1] not in unread()
    # kept unread, then starred
    reader.post("edit-tag", {"i": str(head), "r": "user/-/state/com.google/read"})
    assert head in unread()
    reader.post("edit-tag", {"i": str(world.loose[0]), "a": "user/-/state/com.google/starred"})
    assert reader.ids(s="user/-/state/com.google/starred") == [world.loose[0]]
    item = reader.post("stream/items/contents", {"i": str(world.loose[0])}).json()["items"][0]
    assert "user/-/state/com.google/starred" in item["categories"]
    reader.post("edit-tag", {"i": str(world.loose[0]), "r": "user/-/state/com.google/starred"})
    assert reader.ids(s="user/-/state/com.google/starred") == []
    # articles mode: reading every article of a story one by one reads the story
    appauth.set_item_mode(world.db, world.alice.id, "articles")
    reader.post("edit-tag", {"i": [str(a) for a in world.wire_articles], "a": "user/-/state/com.google/read"})
    assert follows.read_state(world.alice, world.wire)["seen_article_id"] == head


def test_mark_all_as_read_and_unread_counts(served):
    world, server, reader = served
    reader.login("alice", world.app_password)
    appauth.set_item_mode(world.db, world.alice.id, "articles")
    counts = {c["id"]: c["count"] for c in reader.get("unread-count", output="json").json()["unreadcounts"]}
    one, two, three = (s.id for s in world.sources)
    assert counts[f"feed/{three}"] == 3 and counts["user/-/label/world"] == 5
    assert counts["user/-/state/com.google/reading-list"] == 8
    assert reader.post("mark-all-as-read", {"s": f"feed/{three}"}).text == "OK"
    counts = {c["id"]: c["count"] for c in reader.get("unread-count").json()["unreadcounts"]}
    assert counts[f"feed/{three}"] == 0 and counts["user/-/state/com.google/reading-list"] == 5
    # a timestamp older than everything marks nothing (seconds, or microseconds)
    reader.post("mark-all-as-read", {"s": "user/-/label/world", "ts": "1000000000000000"})
    assert len(reader.ids(xt="user/-/state/com.google/read", n=100)) == 5
    reader.post("mark-all-as-read", {"s": "user/-/state/com.google/reading-list"})
    assert reader.ids(xt="user/-/state/com.google/read", n=100) == []
    assert reader.post("mark-all-as-read", {"s": "user/-/state/com.google/starred"}).status_code == 400


def test_subscribe_unsubscribe_and_labels(served):
    world, server, reader = served
    reader.login("alice", world.app_password)
    one = world.sources[0].id
    assert reader.post("subscription/edit", {"ac": "unsubscribe", "s": f"feed/{one}"}).text == "OK"
    subs = [s["id"] for s in reader.get("subscription/list").json()["subscriptions"]]
    assert f"feed/{one}" not in subs
    assert not set(reader.ids(n=1000)) & set(world.loose[:2])      # its items are gone too
    added = reader.post("subscription/quickadd", {"quickadd": "https://one.example/feed"}).json()
    assert added == {"query": "https://one.example/feed", "numResults": 1, "streamId": f"feed/{one}",
                     "streamName": "Outlet One"}
    assert Follows(world.db).is_following(world.alice, "outlet", str(one))   # and in My news
    refused = reader.post("subscription/quickadd", {"quickadd": "https://new.example/feed"})
    assert refused.status_code == 403 and "admin" in refused.text
    reader.post("subscription/edit", {"ac": "edit", "s": f"feed/{one}", "t": "My One",
                                      "a": "user/-/label/mine"})
    sub = next(s for s in reader.get("subscription/list").json()["subscriptions"] if s["id"] == f"feed/{one}")
    assert sub["title"] == "My One" and sub["categories"][0]["label"] == "mine"
    assert reader.post("rename-tag", {"s": "user/-/label/mine", "dest": "user/-/label/yours"}).text == "OK"
    assert "user/-/label/yours" in [t["id"] for t in reader.get("tag/list").json()["tags"]]
    assert reader.post("disable-tag", {"s": "user/-/label/yours"}).text == "OK"
    assert "user/-/label/yours" not in [t["id"] for t in reader.get("tag/list").json()["tags"]]
    # another reader still sees the defaults
    other = GReader(server.url)
    other.login("root", PASSWORD)
    assert len(other.get("subscription/list").json()["subscriptions"]) == 3
    other.close()


def test_cross_origin_readers_may_call_the_api(served):
    world, server, reader = served
    pre = reader.http.options("/reader/api/0/stream/items/ids", headers={
        "Origin": "https://reader.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert pre.status_code == 200 and "Authorization" in pre.headers["access-control-allow-headers"]
    reader.login("alice", world.app_password)
    answer = reader.get("subscription/list", output="json")
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers      # never with cookies
