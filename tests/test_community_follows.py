"""Follows, per-reader read state, "My news" (new coverage first, with the articles that
arrived since the reader last opened the story) and the personal feed behind a secret
token."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from newsdesk.community.follows import Follows
from newsdesk.errors import NotFound
from test_community_support import (PASSWORD, LiveServer, accounts, add_articles, add_story, client,
                                     make_app, make_site)


@pytest.fixture
def world(db):
    site = make_site(db)
    acc = accounts(db)
    return dict(site, db=db, follows=Follows(db), alice=acc.signup("alice", PASSWORD),
                bob=acc.signup("bob", PASSWORD))


def test_follow_targets_must_exist(world):
    f, alice = world["follows"], world["alice"]
    for kind, target in (("story", "999"), ("outlet", "999"), ("tag", "nope"), ("story", "1 OR 1=1")):
        with pytest.raises(NotFound):
            f.follow(alice, kind, target)
    f.follow(alice, "tag", "Ceasefire")
    f.follow(alice, "tag", "ceasefire")      # idempotent
    assert f.following(alice) == [{"kind": "tag", "target": "ceasefire", "label": "Ceasefire"}]


def test_my_news_puts_new_coverage_first_and_read_states_do_not_mix(world):
    f, alice, bob, db = world["follows"], world["alice"], world["bob"], world["db"]
    one, two = world["sources"]
    quiet = add_story(db, "A quiet story")
    add_articles(db, two.id, 1, start=100, story_id=quiet)
    f.follow(alice, "story", str(world["story"]))    # following counts what is there as seen
    f.follow(alice, "story", str(quiet))
    f.follow(bob, "story", str(world["story"]))
    news = f.my_news(alice)
    assert [s["new_count"] for s in news] == [0, 0]
    fresh = add_articles(db, one.id, 2, start=200, story_id=world["story"])
    news = f.my_news(alice)
    assert news[0]["id"] == world["story"] and news[0]["new_count"] == 2
    assert [a["id"] for a in news[0]["new_articles"]] == sorted(fresh, reverse=True)
    f.mark_read(bob, world["story"])          # bob opens the story; alice has not
    assert f.my_news(bob)[0]["new_count"] == 0
    assert f.my_news(alice)[0]["new_count"] == 2
    assert f.read_state(alice, world["story"])["seen_article_id"] < max(fresh)
    f.mark_read(alice, world["story"])
    assert f.my_news(alice)[0]["new_count"] == 0
    newer = add_articles(db, one.id, 1, start=300, story_id=quiet)
    top = f.my_news(alice)[0]
    assert top["id"] == quiet and [a["id"] for a in top["new_articles"]] == newer
    assert [s["new_count"] for s in f.my_news(bob)] == [0]


def test_tag_and_outlet_follows_bring_their_stories(world):
    f, alice, bob = world["follows"], world["alice"], world["bob"]
    f.follow(alice, "tag", "ceasefire")
    f.follow(bob, "outlet", str(world["sources"][0].id))
    assert [s["id"] for s in f.my_news(alice)] == [world["story"]]
    assert [s["id"] for s in f.my_news(bob)] == [world["story"]]
    assert f.my_news(alice)[0]["new_count"] == 3      # never opened: all of it is new
    f.unfollow(alice, "tag", "ceasefire")
    assert f.my_news(alice) == []


def test_personal_feed_by_secret_token(settings, db):
    site = make_site(db)
    app, community = make_app(settings, db)
    alice = community.accounts.signup("alice", PASSWORD)
    community.follows.follow(alice, "tag", "ceasefire")
    with LiveServer(app) as server:
        http = client(server)
        rss = http.get(f"/my/feed/{alice.feed_token}.rss")
        assert rss.status_code == 200 and rss.headers["cache-control"].startswith("private")
        titles = [i.findtext("title") for i in ET.fromstring(rss.content).iter("item")]
        assert len(titles) == 3 and all("ceasefire" in t for t in titles)
        feed = http.get(f"/my/feed/{alice.feed_token}.feed.json").json()
        assert len(feed["items"]) == 3
        assert http.get("/my/feed/not-a-token.rss").status_code == 404
        community.follows.rotate_feed_token(alice)
        assert http.get(f"/my/feed/{alice.feed_token}.rss").status_code == 404
        assert http.get("/my.json").status_code == 401
    assert site["story"]


def test_follow_a_story_then_see_what_changed_since_your_last_visit(settings, world):
    """Anonymous readers see no follow button; a reader follows the story, opens it, and
    when new coverage arrives "My news" shows the cited timeline since that visit."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import text

    from test_community_support import csrf_of, login
    db, story = world["db"], world["story"]
    app, _ = make_app(settings, db)
    with LiveServer(app) as server, client(server) as http:
        assert "Follow this story" not in http.get(f"/stories/{story}").text
        login(http, "alice")
        page = http.get(f"/stories/{story}").text
        assert "Follow this story" in page
        followed = http.post("/follow", data={"csrf": csrf_of(page), "kind": "story",
                                              "target": str(story), "next": f"/stories/{story}"})
        assert followed.status_code == 303
        assert "Unfollow this story" in http.get(f"/stories/{story}").text   # opened: read now
        earlier = datetime.now(timezone.utc) - timedelta(days=2)
        with db.write() as conn:   # as if that visit was two days ago
            conn.execute(text("UPDATE read_state SET opened_at = :t"),
                         {"t": earlier.replace(tzinfo=None) if db.is_sqlite else earlier})
        new = add_articles(db, world["sources"][1].id, 2, start=20, story_id=story)
        facts = ["Negotiators agreed on a humanitarian corridor from the besieged port city. "
                 "The corridor will open on Thursday morning for civilians.",
                 "The foreign ministers will meet again in Antalya next week. "
                 "Both delegations confirmed the meeting in separate statements."]
        with db.write() as conn:   # the new articles carry new facts; the old ones are older
            for aid, fact in zip(new, facts):
                conn.execute(text("UPDATE articles SET text = :t WHERE id = :a"), {"t": fact, "a": aid})
            for aid in world["story_articles"]:
                conn.execute(text("UPDATE articles SET published_at = :p WHERE id = :a"),
                             {"p": (earlier - timedelta(days=1)).replace(tzinfo=None) if db.is_sqlite
                              else earlier - timedelta(days=1), "a": aid})
        my = http.get("/my").text
    assert "What changed since your last visit" in my and 'class="cite"' in my
