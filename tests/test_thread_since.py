"""The thread page's "what changed since ..." (issue 12): the same choices as a story page
across all the thread's stories (the day picker, since the story before the newest, since
your last visit by instant, since the thread began, the last 3 days), computed on request
through ``since_timeline``, a JSON twin with ``?since=``, the panel alone for polling, a
clear 400 for a bad ``since``, and the reader's visit recorded (a "since" choice belongs to
the visit it came from). Real stories stage, real app, both databases."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import httpx
from urllib.parse import quote
from lxml import html
from sqlalchemy import text

from newsdesk.storage import visits
from test_community_support import PASSWORD, LiveServer, accounts, csrf_of
from test_threads import _story, _thread, client, crisis  # noqa: F401 -- fixtures
from test_web_fixtures import css


CHOICES = "//*[@data-since-choices]//a"


def _timeline(doc) -> list[tuple[str, str]]:
    """(date, text) of each dated entry of the panel's timeline."""
    return [(li.xpath(".//time")[0].get("datetime"), li.text_content())
            for li in css(doc, "section#ai ol.timeline > li")]


def test_thread_page_shows_what_changed_for_every_choice(client, db, crisis):  # noqa: F811
    thread_id = _thread(db, crisis["rec1"])
    page = client.get(f"/threads/{thread_id}")
    assert page.status_code == 200
    doc = html.fromstring(page.text)
    [panel] = css(doc, "section#ai")
    assert panel.get("data-thread") == str(thread_id) and panel.get("data-poll") is None
    choices = {a.text_content(): a.get("href") for a in doc.xpath(CHOICES)}
    assert list(choices) == ["since the previous story", "since the thread began", "the last 3 days"]
    # the instant the first story's last article came (the newest began the next day)
    assert choices["since the previous story"] == "?since=2022-02-21T14%3A00%3A00Z#ai"
    whole = _timeline(doc)
    assert [d for d, _ in whole] == ["2022-02-21", "2022-02-22"]           # both stories' days
    assert "Putin" in whole[0][1] and "sanctions" in whole[1][1]
    for label, href in choices.items():
        chosen = html.fromstring(client.get(f"/threads/{thread_id}{href.split('#')[0]}").text)
        assert _timeline(chosen), label
        assert not css(chosen, "p.progress"), label                           # nothing "preparing"
    later = html.fromstring(client.get(f"/threads/{thread_id}?since=2022-02-21").text)   # after that day
    assert [d for d, _ in _timeline(later)] == ["2022-02-22"]
    assert "since 21 February 2022" in css(later, "section#ai h2")[0].text_content()
    cites = {a.get("href").split("#")[0] for a in css(later, "section#ai ol.timeline a.cite")}
    assert cites and cites <= {f"/articles/{crisis['san1']}", f"/articles/{crisis['san2']}"}
    assert "Nothing new since 22 February 2022." in client.get(f"/threads/{thread_id}?since=2022-02-22").text
    after = html.fromstring(client.get(f"/threads/{thread_id}?since=2022-02-23T09:00:00Z").text)
    assert "Nothing new since 23 February 2022, 09:00 UTC." in after.text_content()


def test_thread_json_twin_and_panel_alone(client, db, crisis):  # noqa: F811
    thread_id = _thread(db, crisis["rec1"])
    data = client.get(f"/threads/{thread_id}.json?since=2022-02-21").json()
    timeline = data["ai"]["thread"]["timeline"]
    assert timeline["status"] == "ok" and [e["date"] for e in timeline["entries"]] == ["2022-02-22"]
    assert data["ai"]["pending"] is False and data["ai"]["thread"]["since_param"] == "2022-02-21"
    assert [s["id"] for s in data["stories"]] == [_story(db, crisis["rec1"]), _story(db, crisis["san1"])]
    alone = client.get(f"/threads/{thread_id}/ai?since=2022-02-21")
    assert alone.status_code == 200
    part = html.fromstring(f"<div>{alone.text}</div>")
    assert [d for d, _ in _timeline(part)] == ["2022-02-22"] and not css(part, "header")
    bad = client.get(f"/threads/{thread_id}?since=last-tuesday")
    assert bad.status_code == 400 and "2022-02-12T09:30:00Z" in bad.text
    assert client.get(f"/threads/{thread_id}.json?since=yesterday").status_code == 400
    assert client.get(f"/threads/{thread_id}/ai?since=2022-13-01").status_code == 400


def test_since_your_last_visit_counts_from_the_instant_of_the_visit(db, settings, crisis):  # noqa: F811
    """A logged-in reader's thread visit is recorded; on the next visit "since your last
    visit" is the instant of the one before, carried along by every choice, and an article
    published a moment after that visit is what it shows."""
    from newsdesk.storage import articles as store
    from newsdesk.storage.sources import list_sources
    from newsdesk.web import create_app
    from newsdesk.web.community import install
    settings = settings.with_(secret_key="thread-since-secret", page_cache_seconds=0)
    app = create_app(settings, db, refresher=lambda source: None)
    install(app, settings, db, accounts=accounts(db))
    thread_id = _thread(db, crisis["rec1"])
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        page = http.get("/signup")
        http.post("/signup", data={"csrf": csrf_of(page.text), "username": "threadreader",
                                   "password": PASSWORD, "next": "/"})
        first = html.fromstring(http.get(f"/threads/{thread_id}").text)
        assert "since your last visit" not in first.text_content()              # no visit before
        user_id = accounts(db).by_name("threadreader").id
        visited = visits.last_thread_visit(db, user_id, thread_id)
        assert visited is not None and abs((datetime.now(timezone.utc) - visited).total_seconds()) < 30
        time.sleep(1.1)
        wire = next(s for s in list_sources(db) if s.title == "Wire")
        with db.write() as conn:      # the newest story gets an article published just after that visit
            [new_id] = store.insert_articles(conn, [{
                "source_id": wire.id, "entry_hash": "s3", "title": "EU adds more names to the sanctions list",
                "text": "Japan and Australia joined the sanctions on Wednesday, freezing the assets of three "
                        "Russian banks and banning trade in new Russian government bonds.",
                "url": "https://example.org/s3", "fetched_at": datetime.now(timezone.utc),
                "published_at": datetime.now(timezone.utc), "extraction": "page", "language": "en"}],
                db.dialect)
            conn.execute(text("INSERT INTO article_story (article_id, story_id, similarity) VALUES (:a, :s, 0.9)"),
                         {"a": new_id, "s": _story(db, crisis["san1"])})
        again = html.fromstring(http.get(f"/threads/{thread_id}").text)
        link = next(a for a in again.xpath(CHOICES) if a.text_content() == "since your last visit")
        assert link.get("href").startswith("?since=" + quote(visited.strftime("%Y-%m-%dT%H:%M:%SZ")))
        assert all("last=" in a.get("href") for a in again.xpath(CHOICES))
        chosen = html.fromstring(http.get(f"/threads/{thread_id}{link.get('href').split('#')[0]}").text)
        shown = " ".join(t for _, t in _timeline(chosen))
        assert "Japan and Australia joined the sanctions" in shown and "Putin signed decrees" not in shown
        # the choice belongs to the second visit: it moved "last visit" once, not twice
        assert visits.last_thread_visit(db, user_id, thread_id) > visited
        still = html.fromstring(http.get(f"/threads/{thread_id}{link.get('href').split('#')[0]}").text)
        assert any(a.text_content() == "since your last visit" and a.get("href") == link.get("href")
                   for a in still.xpath(CHOICES))


def test_a_slow_part_is_polled_and_never_cached(db, settings, crisis):  # noqa: F811
    """A timeline still being written (a slow model) is "in progress": the page says so,
    names the panel to poll, refreshes itself without JavaScript and is never cached."""
    from starlette.testclient import TestClient

    from newsdesk.ai.service import AIService
    from newsdesk.web import create_app
    from newsdesk.web.ai_panel import AIPanel
    from test_ai_since import SlowProvider
    service = AIService(settings, db, provider=SlowProvider(1.5))
    app = create_app(settings, db, refresher=lambda source: None, ai_panel=AIPanel(service, wait=0.05))
    thread_id = _thread(db, crisis["rec1"])
    try:
        with TestClient(app) as http:
            page = http.get(f"/threads/{thread_id}?since=2022-02-21")
            doc = html.fromstring(page.text)
            assert css(doc, "section#ai")[0].get("data-poll") == f"/threads/{thread_id}/ai?since=2022-02-21"
            assert page.headers["cache-control"] == "no-store"
            assert doc.xpath("//noscript/meta[@http-equiv='refresh']")
            deadline = time.monotonic() + 10
            while True:
                part = html.fromstring(f"<div>{http.get(f'/threads/{thread_id}/ai?since=2022-02-21').text}</div>")
                if _timeline(part):
                    break
                assert time.monotonic() < deadline, "still in progress"
                time.sleep(0.2)
            assert not css(part, "section#ai")[0].get("data-poll")
    finally:
        service.close()


def test_previous_story_end_is_the_instant_the_stories_before_the_newest_ended():
    """The instant, not the day: on the demo the war thread's newest story began 98 seconds
    after the one before it ended, the same day, and "since the previous story" as a day
    showed "Nothing new"."""
    from newsdesk.web.threads import previous_story_end
    t = datetime(2022, 2, 21, 12, tzinfo=timezone.utc)
    stories = [{"id": 1, "first_seen": t, "last_seen": t + timedelta(hours=5)},
               {"id": 2, "first_seen": t + timedelta(hours=2), "last_seen": t + timedelta(days=3)},  # overlaps
               {"id": 3, "first_seen": t + timedelta(days=2), "last_seen": t + timedelta(days=2)}]
    assert previous_story_end(stories) == t + timedelta(hours=5)
    same_day = [stories[0], dict(stories[2], first_seen=t + timedelta(hours=6))]
    assert previous_story_end(same_day) == t + timedelta(hours=5)
    assert previous_story_end(stories[:1]) is None
    assert previous_story_end([dict(stories[0], first_seen=None), stories[2]]) is None


def test_the_panel_says_when_it_reads_only_the_newest_articles(client, db, crisis):  # noqa: F811
    """A thread longer than the panel reads (``MAX_STORIES_DOCS``) says where its reading
    starts, so "since the thread began" is not taken for the whole thread; a short one
    says nothing."""
    thread_id = _thread(db, crisis["rec1"])
    doc = html.fromstring(client.get(f"/threads/{thread_id}").text)
    assert not css(doc, "section#ai p.reads-from")
    with db.write() as conn:   # as if the thread held far more than the panel reads
        conn.execute(text("UPDATE threads SET article_count = 500 WHERE id = :t"), {"t": thread_id})
    doc = html.fromstring(client.get(f"/threads/{thread_id}?since=2022-02-01").text)
    [note] = css(doc, "section#ai p.reads-from")
    assert "newest" in note.text_content() and "21 February 2022" in note.text_content()


def test_a_readers_last_visit_follows_a_thread_merged_into_another(db, crisis):  # noqa: F811
    """The thread look-ahead folds small threads into others: a reader who last opened the
    absorbed thread is redirected to the other one, and "since your last visit" still
    counts from that visit (the earlier of the two visits when they opened both)."""
    from newsdesk.storage import threads as thread_store
    thread_id = _thread(db, crisis["rec1"])
    both, one = (accounts(db).signup(name, PASSWORD) for name in ("bothreader", "onereader"))
    early, late = datetime(2022, 2, 23, 9, tzinfo=timezone.utc), datetime(2022, 2, 24, 9, tzinfo=timezone.utc)
    with db.write() as conn:   # a second thread, which this one is about to be folded into
        conn.execute(text("INSERT INTO threads (id, title, story_count, article_count) "
                          "VALUES (777, 'Other', 0, 0)"))
    visits.record_thread_visit(db, both.id, thread_id, at=early)
    visits.record_thread_visit(db, both.id, 777, at=late)
    visits.record_thread_visit(db, one.id, thread_id, at=late)
    with db.write() as conn:
        thread_store.merge_thread(conn, thread_id, 777)
    assert visits.last_thread_visit(db, both.id, 777) == early
    assert visits.last_thread_visit(db, one.id, 777) == late
    assert visits.last_thread_visit(db, one.id, thread_id) is None
    assert thread_store.merged_thread(db, thread_id) == 777
