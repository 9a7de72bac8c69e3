"""Article revisions against a real test site on loopback whose article changes: versions
kept, the diff page showing exactly the changes, the story mentioning the update, the AI
keys following the text, and nothing stored twice or erased. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from lxml import html
from sqlalchemy import text
from starlette.testclient import TestClient

from newsdesk.ai.service import AIService
from newsdesk.ingest import revisions
from newsdesk.ingest.feeds import FeedEntry
from newsdesk.ingest.refresh import Ingest, refresh_source
from newsdesk.storage import sources as source_store
from newsdesk.storage import versions as version_store
from newsdesk.stories.stage import StoriesStage
from newsdesk.web import create_app
from tests.servers import LoopbackServer, Response

NOW = datetime.now(timezone.utc).replace(microsecond=0)
FIRST = [
    "Twelve people died in a fire in the city centre on Monday night, the fire service said.",
    "The blaze started in a bakery on the ground floor and spread to the flats above it. "
    "Neighbours said the alarm sounded shortly after midnight.",
    "Firefighters from four stations worked through the night to bring it under control. "
    "DETAILS TO FOLLOW.",
]


class ChangingSite:
    """An outlet whose one article changes: an Atom feed and the article page, each with
    validators, answering conditional requests with 304."""

    def __init__(self):
        self.title = "Fire in the city centre"
        self.paragraphs = list(FIRST)
        self.stamp = "Updated 00:32 GMT"
        self.updated = NOW - timedelta(hours=1)
        self.status = 200
        self.page_hits = 0
        self.server = LoopbackServer({"/feed.xml": self.feed, "/news/fire": self.page,
                                      "/robots.txt": Response(200, {}, b"User-agent: *\n")})

    def url(self, path: str) -> str:
        return self.server.url(path)

    def _answer(self, request, body: bytes, content_type: str) -> Response:
        tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == tag:
            return Response(304, {"ETag": tag})
        return Response(200, {"Content-Type": content_type, "ETag": tag}, body)

    def feed(self, request) -> Response:
        link = self.url("/news/fire")
        body = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>City News</title><id>urn:city</id>
<updated>{self.updated.isoformat()}</updated>
<entry><id>urn:city:fire</id><title>{self.title}</title><link href="{link}"/>
<published>{(NOW - timedelta(hours=1)).isoformat()}</published><updated>{self.updated.isoformat()}</updated>
<summary>A fire in the city centre.</summary></entry></feed>""".encode()
        return self._answer(request, body, "application/atom+xml")

    def page(self, request) -> Response:
        self.page_hits += 1
        if self.status != 200:
            return Response(self.status, {"Content-Type": "text/html"}, b"<h1>Not found</h1>")
        body = "".join(f"<p>{p}</p>" for p in self.paragraphs)
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{self.title} | City News</title></head><body><nav><a href="/">Home</a></nav>
<article><h1>{self.title}</h1><p class="byline">By Ann Reporter</p><p>{self.stamp}</p>{body}</article>
<footer>© City News</footer></body></html>""".encode()
        return self._answer(request, page, "text/html; charset=utf-8")

    def change(self, **values) -> None:
        for key, value in values.items():
            setattr(self, key, value)
        self.updated += timedelta(minutes=20)


@pytest.fixture
def site():
    s = ChangingSite()
    s.server.start()
    yield s
    s.server.stop()


@pytest.fixture
def newsroom(pipeline_settings, db, site):
    """An ingest with the stories stage (and its revision hook) wired as the CLI does."""
    settings = pipeline_settings
    source = source_store.add_source(db, site.url("/feed.xml"), title="City News")
    stage = StoriesStage(settings, db)
    with Ingest.open(settings, db) as ingest:
        ingest.on_new_articles.append(stage)
        ingest.on_revised_articles.append(stage.revised)
        yield ingest, source_store.get_source(db, source.id), stage


def fetch(ingest, source_id):
    return refresh_source(ingest, source_store.get_source(ingest.db, source_id))


def marks(doc, tag: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(f"//div[contains(@class,'diff')]//{tag}")]


def story_coverage(settings, db, story_id):
    service = AIService(settings, db)
    try:
        return service.results("story", story_id, {"summary": {}})["_coverage"]
    finally:
        service.close()


def test_an_article_changed_twice_keeps_three_versions_and_shows_exactly_the_changes(
        newsroom, site, db, pipeline_settings):
    ingest, source, stage = newsroom
    first = fetch(ingest, source.id)
    assert len(first.new_ids) == 1 and first.revised_ids == []
    article_id = first.new_ids[0]
    with db.read() as conn:
        story_id = conn.execute(text("SELECT story_id FROM article_story WHERE article_id = :a"),
                                {"a": article_id}).scalar()
        signature = bytes(conn.execute(text("SELECT minhash FROM signatures WHERE article_id = :a"),
                                       {"a": article_id}).scalar())
    assert story_id is not None
    coverage_before = story_coverage(pipeline_settings, db, story_id)
    state = version_store.revision_state(db, article_id)
    assert state["versions"] == 1 and state["next_check_at"] is not None   # young: scheduled

    # first change: a new death toll, one more sentence, a new headline in the feed
    site.change(title="Fire kills 15 in the city centre",
                paragraphs=[FIRST[0].replace("Twelve", "Fifteen"), FIRST[1],
                            FIRST[2] + " Police arrested a man on Tuesday."])
    second = fetch(ingest, source.id)
    assert second.new_ids == [] and second.revised_ids == [article_id]
    # second change: the placeholder goes, another headline
    site.change(title="Fire kills 15: man arrested",
                paragraphs=[FIRST[0].replace("Twelve", "Fifteen"), FIRST[1],
                            FIRST[2].replace(" DETAILS TO FOLLOW.", "") +
                            " Police arrested a man on Tuesday."])
    third = fetch(ingest, source.id)
    assert third.revised_ids == [article_id]
    # nothing changed: fetching again stores nothing, and neither does a due re-check
    assert fetch(ingest, source.id).revised_ids == []
    with db.write() as conn:
        conn.execute(text("UPDATE article_checks SET next_check_at = :t"), {"t": NOW - timedelta(minutes=1)})
    hits = site.page_hits
    scheduled = revisions.run_due(ingest)
    assert scheduled.checked == 1 and scheduled.revised == [] and site.page_hits == hits + 1
    assert version_store.revision_state(db, article_id)["last_status"] == "not_modified"

    listed = version_store.list_versions(db, article_id)
    assert [(v["version"], v["title"], v["reason"]) for v in listed] == [
        (1, "Fire in the city centre", "first"),
        (2, "Fire kills 15 in the city centre", "feed"),
        (3, "Fire kills 15: man arrested", "feed")]
    stored = version_store.get_versions(db, article_id, [1, 3])
    assert "Twelve people" in stored[1]["text"] and "Fifteen people" in stored[3]["text"]

    # the revision re-entered the stories stage and the AI keys
    with db.read() as conn:
        article = conn.execute(text("SELECT title, text FROM articles WHERE id = :a"),
                               {"a": article_id}).one()
        new_signature = bytes(conn.execute(text("SELECT minhash FROM signatures WHERE article_id = :a"),
                                           {"a": article_id}).scalar())
    assert article.title == "Fire kills 15: man arrested" and "DETAILS TO FOLLOW" not in article.text
    assert new_signature != signature
    assert story_coverage(pipeline_settings, db, story_id) != coverage_before

    app = create_app(pipeline_settings.with_(page_cache_seconds=0), db)
    with TestClient(app) as client:
        page = client.get(f"/articles/{article_id}")
        doc = html.fromstring(page.text)
        revised = " ".join(doc.xpath("//span[@class='revised']")[0].text_content().split())
        assert revised.startswith("Updated 2 times; last update at ")
        assert doc.xpath("//p[@class='dates']/a/@href") == [f"/articles/{article_id}/versions/3"]

        twin = client.get(f"/articles/{article_id}.json").json()
        assert twin["revisions"]["updates"] == 2
        assert [v["version"] for v in twin["revisions"]["versions"]] == [1, 2, 3]
        assert twin["revisions"]["versions"][2]["url"] == f"/articles/{article_id}/versions/3"

        v2 = html.fromstring(client.get(f"/articles/{article_id}/versions/2").text)
        # the headline is shown apart from the text (extraction drops it from the body)
        assert marks(v2, "ins") == ["Fifteen", "Police arrested a man on Tuesday."]
        assert marks(v2, "del") == ["Twelve"]
        assert [" ".join(e.text_content().split()) for e in v2.xpath("//h1/ins")] == ["kills 15"]
        assert "1 sentence added" in v2.xpath("//p[@class='change-summary']")[0].text_content()
        v3 = html.fromstring(client.get(f"/articles/{article_id}/versions/3").text)
        assert marks(v3, "ins") == []
        assert marks(v3, "del") == ["DETAILS TO FOLLOW."]
        assert [" ".join(e.text_content().split()) for e in v3.xpath("//h1/ins")] == [": man arrested"]
        v1 = html.fromstring(client.get(f"/articles/{article_id}/versions/1").text)
        assert marks(v1, "ins") == marks(v1, "del") == []
        assert "Twelve people died" in v1.xpath("//div[contains(@class,'diff')]")[0].text_content()
        data = client.get(f"/articles/{article_id}/versions/2.json").json()
        assert data["diff"]["added"] == 1 and data["diff"]["changed"] == 1   # the toll (the headline is apart)
        assert client.get(f"/articles/{article_id}/versions/4").status_code == 404
        assert client.get(f"/articles/{article_id}/versions/x").status_code == 404

        story = html.fromstring(client.get(f"/stories/{story_id}").text)
        # a story named after the article's headline follows it
        assert story.xpath("//h1")[0].text_content() == "Fire kills 15: man arrested"
        updates = [" ".join(li.text_content().split()) for li in story.xpath("//ul[@class='updates']/li")]
        assert len(updates) == 2
        assert "City News updated its report, now headlined “Fire kills 15: man arrested”" in updates[0]
        assert "now says “Fifteen people died" in updates[1]
        assert client.get(f"/stories/{story_id}.json").json()["updates"][0]["version"] == 3


def test_time_stamps_and_restamped_items_make_no_version(newsroom, site, db):
    ingest, source, _ = newsroom
    article_id = fetch(ingest, source.id).new_ids[0]
    site.change(stamp="Updated 01:47 GMT, 5 March 2024")   # the feed's updated stamp moves too
    assert fetch(ingest, source.id).revised_ids == []
    assert version_store.list_versions(db, article_id) == []
    assert version_store.revision_state(db, article_id)["last_status"] == "unchanged"


def test_a_page_taken_down_is_recorded_never_erased(newsroom, site, db, pipeline_settings):
    ingest, source, _ = newsroom
    article_id = fetch(ingest, source.id).new_ids[0]
    site.status = 404
    with db.write() as conn:
        conn.execute(text("UPDATE article_checks SET next_check_at = :t"), {"t": NOW - timedelta(minutes=1)})
    assert revisions.run_due(ingest).gone == 1
    state = version_store.revision_state(db, article_id)
    assert state["last_status"] == "gone" and state["http_status"] == 404
    assert state["gone_at"] is not None and state["next_check_at"] is None
    site.change(title="Fire in the city centre (updated)")   # the feed changes; the page is gone
    fetch(ingest, source.id)
    with db.read() as conn:
        kept = conn.execute(text("SELECT text FROM articles WHERE id = :a"), {"a": article_id}).scalar()
    assert "Twelve people died" in kept
    with TestClient(create_app(pipeline_settings.with_(page_cache_seconds=0), db)) as client:
        note = html.fromstring(client.get(f"/articles/{article_id}").text).xpath("//p[contains(@class,'gone')]")
        assert note and "answered HTTP 404" in note[0].text_content()


def test_feed_content_articles_are_compared_with_the_feed_item(pipeline_settings, db):
    body = {"text": "<p>The council approved the budget on Monday by nine votes to four.</p>"}
    server = LoopbackServer({"/feed.json": lambda req: Response(
        200, {"Content-Type": "application/feed+json"},
        ('{"version": "https://jsonfeed.org/version/1.1", "title": "Council", "items": [{"id": "b1", '
         '"url": "http://127.0.0.1:1/b1", "title": "Budget approved", "content_html": "%s"}]}'
         % body["text"].replace('"', '\\"')).encode())}).start()
    try:
        source = source_store.add_source(db, server.url("/feed.json"), title="Council", full_text=False)
        with Ingest.open(pipeline_settings, db) as ingest:
            article_id = fetch(ingest, source.id).new_ids[0]
            body["text"] = "<p>The council approved the budget on Monday by ten votes to three.</p>"
            assert fetch(ingest, source.id).revised_ids == [article_id]
        assert [v["version"] for v in version_store.list_versions(db, article_id)] == [1, 2]
    finally:
        server.stop()


# ----------------------------------------------------------------- the rules, one by one
def test_normalize_ignores_stamps_but_not_changed_facts():
    a = "Updated 10:32 GMT\nTwelve people died, 5 minutes ago.\nPosted on 5 March 2024"
    b = "Updated 11:05 GMT\nTwelve people died, 2 hours ago.\nPosted on 6 March 2024"
    assert revisions.normalize(a) == revisions.normalize(b) == "Twelve people died, ."
    assert revisions.normalize("Fifteen died at 10:30 on 5 March in the fire at the station.") != \
        revisions.normalize("Fifteen died at 10:45 on 5 March in the fire at the station.")
    assert revisions.normalize("“Quoted” – text") == revisions.normalize('"Quoted" - text')


def test_checks_come_at_doubling_intervals_within_the_window(settings):
    start = NOW
    times, at, checks = [], start, 0
    while (due := revisions.next_check(settings, start, checks, at)) is not None:
        times.append(round((due - start).total_seconds() / 3600, 2))
        at, checks = due, checks + 1
    assert times == [1, 3, 7, 15, 31, 48]
    assert revisions.next_check(settings, NOW - timedelta(days=3), 0, NOW) is None
    assert revisions.next_check(settings.with_(revision_window=0), NOW, 0, NOW) is None


def test_a_feed_that_restamps_every_item_brings_no_rechecks(pipeline_settings, db):
    entries = [FeedEntry(guid=f"g{i}", url=None, title=f"Item {i}", summary="s",
                         updated=NOW) for i in range(6)]
    source = source_store.add_source(db, "http://127.0.0.1:9/feed.xml")
    rows = [{"source_id": source.id, "entry_hash": revisions._key(e), "title": e.title, "text": "t",
             "extraction": "feed", "fetched_at": NOW, "word_count": 1} for e in entries]
    from newsdesk.storage.articles import insert_articles
    with db.write() as conn:
        ids = insert_articles(conn, rows, db.dialect)
        revisions.watch_new(conn, pipeline_settings, source, ids, entries)
    with Ingest.open(pipeline_settings, db) as ingest:
        restamped = [FeedEntry(**{**e.__dict__, "updated": NOW + timedelta(hours=1)}) for e in entries]
        assert revisions.changed_items(ingest, source, restamped) == []
        retitled = [FeedEntry(**{**e.__dict__, "title": e.title + "!"}) if i == 0 else e
                    for i, e in enumerate(restamped)]
        assert [a for a, _ in revisions.changed_items(ingest, source, retitled)] == [ids[0]]
