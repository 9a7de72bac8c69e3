"""Saved searches: save a search with its filters, follow it, see its new matches in "My
news" and the personal feed, open it (its matches then count as seen), list and delete it
on the account page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
import xml.etree.ElementTree as ET

import pytest

from newsdesk.community import CommunityError
from newsdesk.community.saved import SavedSearches
from newsdesk.errors import NotFound
from test_community_support import (PASSWORD, LiveServer, accounts, add_articles, client, login,
                                     make_app, make_site, page_csrf)


@pytest.fixture
def world(db):
    site = make_site(db)
    return dict(site, db=db, saved=SavedSearches(db), alice=accounts(db).signup("alice", PASSWORD),
                bob=accounts(db).signup("bob", PASSWORD))


def test_new_matches_are_the_ones_collected_since_it_was_saved_or_opened(world):
    saved, alice, db = world["saved"], world["alice"], world["db"]
    one, two = world["sources"]
    search = saved.save(alice, "  ceasefire   ")
    assert search["query"] == "ceasefire" and search["following"]
    assert saved.with_news(alice)[0]["new_count"] == 0              # what matches now counts as seen
    fresh = add_articles(db, one.id, 2, start=100)
    news = saved.with_news(alice)[0]
    assert news["new_count"] == 2 and {a["id"] for a in news["new_articles"]} == set(fresh)
    assert saved.with_news(world["bob"]) == []                        # per reader
    assert {i["id"] for i in saved.feed_items(alice)} == set(fresh)
    saved.open(alice, search["id"])
    assert saved.with_news(alice)[0]["new_count"] == 0
    # filters are part of the search: only outlet two's new matches
    only_two = saved.save(alice, "ceasefire", outlet=two.id, name="From two")
    assert only_two["id"] != search["id"] and only_two["name"] == "From two"
    add_articles(db, one.id, 1, start=200)
    later = add_articles(db, two.id, 1, start=201)
    by_name = {s["name"]: s for s in saved.with_news(alice)}
    assert by_name["ceasefire"]["new_count"] == 2 and by_name["From two"]["new_count"] == 1
    assert [a["id"] for a in by_name["From two"]["new_articles"]] == later
    assert saved.save(alice, "ceasefire")["id"] == search["id"]     # the same search is not saved twice
    saved.follow(alice, search["id"], False)
    assert [s["name"] for s in saved.with_news(alice)] == ["From two"]
    saved.delete(alice, only_two["id"])
    assert [s["id"] for s in saved.searches(alice)] == [search["id"]]
    with pytest.raises(NotFound):
        saved.delete(world["bob"], search["id"])                   # not bob's
    with pytest.raises(CommunityError):
        saved.save(alice, "   ")
    with pytest.raises(CommunityError):
        saved.save(alice, "x" * 301)


def test_saved_searches_on_the_site(settings, world):
    app, community = make_app(settings, world["db"])
    db = world["db"]
    one = world["sources"][0]
    with LiveServer(app) as server, client(server) as http:
        anonymous = http.get("/search", params={"q": "ceasefire"}).text
        assert "Save this search" not in anonymous
        login(http, "alice")
        page = http.get("/search", params={"q": "ceasefire", "outlet": str(one.id)}).text
        assert "Save this search" in page
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        saved = http.post("/my/searches", data={"csrf": csrf, "q": "ceasefire", "outlet": str(one.id)})
        assert saved.status_code == 303 and saved.headers["location"] == "/my#searches"
        assert "nothing new" in http.get("/my").text
        fresh = add_articles(db, one.id, 1, start=300)
        my = http.get("/my").text
        assert "1 new" in my and f"/articles/{fresh[0]}" in my
        assert http.get("/my.json").json()["searches"][0]["new_count"] == 1
        # absolute, from the site's public address (settings.site_url), never the Host header
        feed_url = re.search(r'href="(https?://[^"]+/my/feed/[^"]+)\.rss"', my).group(1)
        assert feed_url.startswith(settings.site_url)
        feed = ET.fromstring(http.get(urlsplit(feed_url).path + ".rss").content)
        assert "Article 300 on the ceasefire" in [t.text for t in feed.iter("title")]
        search_id = http.get("/my.json").json()["searches"][0]["id"]
        opened = http.get(f"/my/searches/{search_id}")
        assert opened.status_code == 303 and opened.headers["location"].startswith("/search?q=ceasefire")
        assert f"outlet={one.id}" in opened.headers["location"]
        assert "nothing new" in http.get("/my").text
        account = http.get("/account").text
        assert "Saved searches" in account and f"/my/searches/{search_id}/delete" in account
        http.post(f"/my/searches/{search_id}/follow", data={"csrf": page_csrf(http), "following": "0"})
        assert "not followed" in http.get("/account").text
        http.post(f"/my/searches/{search_id}/delete", data={"csrf": page_csrf(http)})
        assert f"/my/searches/{search_id}" not in http.get("/account").text
        assert http.post("/my/searches", data={"q": "x"}).status_code == 403      # no CSRF token
