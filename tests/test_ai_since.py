""""What changed since ..." for any instant, computed on request: a reader's last visit
counts to the second, readers asking the same thing share one computation, a slow part is
"in progress" (never "being prepared" forever), and a fallback is kept with its note."""

import threading
import time
from datetime import date, datetime, timezone

import pytest

from newsdesk.ai import Doc, OfflineProvider, run
from newsdesk.ai.service import AIService, canonical_since

MORNING = [
    Doc("1", datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc), "Herald", "Fire at the plant",
        "A fire broke out at the chemical plant in Portville on Saturday morning. "
        "Firefighters arrived within minutes and closed the nearby road."),
    Doc("2", datetime(2026, 12, 5, 9, 2, tzinfo=timezone.utc), "Times", "Workers evacuated",
        "All two hundred workers of the chemical plant were evacuated safely by the fire brigade. "
        "The mayor asked residents to keep their windows shut until noon."),
]


def test_since_an_instant_shows_what_was_published_after_it_that_same_day():
    between = run("timeline", MORNING, since=datetime(2026, 12, 5, 9, 1, tzinfo=timezone.utc))
    assert between.status == "ok"
    assert {c.doc for i in between.items for c in i.citations} == {"2"}
    after = run("timeline", MORNING, since=datetime(2026, 12, 5, 9, 2, tzinfo=timezone.utc))
    assert after.status == "empty" and after.note == "Nothing new since 2026-12-05 09:02 UTC."
    whole_day = run("timeline", MORNING, since=date(2026, 12, 4))
    assert {c.doc for i in whole_day.items for c in i.citations} == {"1", "2"}
    assert run("timeline", MORNING, since=date(2026, 12, 5)).status == "empty"


def test_instants_between_the_same_two_articles_share_one_key():
    coverage = [[d.id, d.date.isoformat()] for d in MORNING]
    at = lambda h, m, s=0: datetime(2026, 12, 5, h, m, s, tzinfo=timezone.utc)  # noqa: E731
    assert canonical_since(at(9, 0, 30), coverage) == canonical_since(at(9, 1, 59), coverage) \
        == "2026-12-05T09:00:00+00:00"
    assert canonical_since(at(9, 2, 1), coverage) == canonical_since(at(23, 59), coverage)
    assert canonical_since(at(8, 0), coverage) == "2026-12-05T00:00:00+00:00"   # never before its day
    assert canonical_since(date(2026, 12, 4), coverage) == "2026-12-04"


class SlowProvider(OfflineProvider):
    """The offline features, slowly, counting calls (a stand-in for a model endpoint)."""

    def __init__(self, delay: float, fallback: bool = False):
        super().__init__()
        self.delay, self.fallback, self.calls = delay, fallback, 0
        self.lock = threading.Lock()

    @property
    def identity(self):
        return "slow-test"

    def run(self, feature, docs, **params):
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        result = super().run(feature, docs, **params)
        if self.fallback:
            result.meta["fallback"] = True
            result.note = "The model was unavailable (test); showing sentences quoted from the outlets."
        return result


@pytest.fixture
def site(tmp_path):
    from test_web_fixtures import build_site
    site = build_site(tmp_path, articles_per_outlet=2)
    yield site
    site["db"].close()


def test_readers_asking_the_same_thing_share_one_computation(site):
    provider = SlowProvider(0.4)
    service = AIService(site["settings"], site["db"], provider=provider, workers=2)
    try:
        features = {"timeline": {"since": date(2000, 1, 1)}}
        first = service.results("story", site["story_id"], features, wait=0.05)
        assert first["timeline"] is None                        # in progress, not "forever"
        answers = []
        readers = [threading.Thread(target=lambda: answers.append(
            service.results("story", site["story_id"], features, wait=None))) for _ in range(3)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(10)
        assert len(answers) == 3 and all(a["timeline"].status == "ok" for a in answers)
        assert provider.calls == 1
        assert service.results("story", site["story_id"], features)["timeline"].status == "ok"
        assert provider.calls == 1                               # then read from the cache
    finally:
        service.close()


def test_a_fallback_is_cached_with_its_note_and_retried_later(site):
    settings = site["settings"].with_(llm_retry_after=1)
    down = SlowProvider(0.0, fallback=True)
    service = AIService(settings, site["db"], provider=down)
    try:
        result = service.article_summary(site["story_articles"][0], wait=None)
        assert result.meta["fallback"] and "unavailable" in result.note
        again = service.article_summary(site["story_articles"][0])
        assert again.note == result.note and down.calls == 1      # shown, not recomputed
        time.sleep(1.2)
        stale = service.article_summary(site["story_articles"][0])
        assert stale.note == result.note                           # shown at once ...
        deadline = time.monotonic() + 5
        while down.calls < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert down.calls == 2                                     # ... and tried again behind it
    finally:
        service.close()


def test_a_failing_feature_is_an_error_not_a_wait(site):
    class Broken(OfflineProvider):
        identity = "broken"

        def run(self, feature, docs, **params):
            raise RuntimeError("boom")
    service = AIService(site["settings"], site["db"], provider=Broken())
    try:
        result = service.article_summary(site["story_articles"][0], wait=5)
        assert result.status == "error" and "could not be computed" in result.note
    finally:
        service.close()


def test_a_trickling_endpoint_leaves_nothing_pending_on_the_page(site):
    """An endpoint that sends one byte every 2 s: the page's panel shows the offline result
    with its note once the call's total deadline (1 s here) has passed, and a later reader
    gets it from the cache at once."""
    from servers import RawServer

    from newsdesk.ai import OpenAICompatibleProvider
    from newsdesk.web.ai_panel import AIPanel

    def drip(sock, server):
        sock.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n{" * 5:
            if server.stopping.wait(2.0):
                return
            sock.sendall(bytes([byte]))
    raw = RawServer(drip).start()
    provider = OpenAICompatibleProvider(raw.url("/v1"), "drip", timeout=1.0)
    service = AIService(site["settings"], site["db"], provider=provider)
    panel = AIPanel(service, wait=0.2)
    story = {"kind": "story", "id": site["story_id"]}
    try:
        started = time.monotonic()
        first = panel(story, since=date(2000, 1, 1))
        assert first["pending"] and first["poll"] == f"/stories/{site['story_id']}/ai?since=2000-01-01"
        while panel(story, since=date(2000, 1, 1))["pending"]:
            assert time.monotonic() - started < 15, "still pending"
            time.sleep(0.2)
        done = panel(story, since=date(2000, 1, 1))
        timeline = done["story"]["timeline"]
        assert timeline["status"] == "ok" and timeline["fallback"] and timeline["entries"]
        assert "no complete answer within 1s" in timeline["note"]
        assert any("could not be used" in line for line in done["authors"])
    finally:
        service.close()
        raw.stop()


def test_the_cache_and_coverage_queries_on_both_databases(db, settings):
    """On SQLite and PostgreSQL: a story's coverage, the single-flight computation, the
    cached row read back, and several stories read as one (a thread)."""
    from sqlalchemy import text

    from newsdesk.storage.articles import insert_articles
    from newsdesk.storage.sources import add_source
    from test_web_fixtures import _row
    sources = [add_source(db, f"https://example.org/{n}/feed", title=f"Outlet {n}") for n in range(2)]
    stories = []
    with db.write() as conn:
        for s, doc in enumerate(MORNING):
            ids = insert_articles(conn, [_row(sources[s].id, s, doc.title, doc.text, doc.date)], db.dialect)
            story = conn.execute(text(
                "INSERT INTO stories (title, lead_article_id, first_seen, last_seen, article_count, outlet_count, "
                "updated_at) VALUES (:t, :a, :w, :w, 1, 1, :w) RETURNING id"),
                {"t": doc.title, "a": ids[0], "w": doc.date.replace(tzinfo=None)}).scalar()
            conn.execute(text("INSERT INTO article_story (article_id, story_id, similarity) VALUES (:a, :s, 1)"),
                         {"a": ids[0], "s": story})
            stories.append(story)
    service = AIService(settings, db)
    try:
        timeline, coverage = service.since_timeline(stories, datetime(2026, 12, 5, 9, 1, tzinfo=timezone.utc),
                                                    wait=None)
        assert len(coverage) == 2 and timeline.status == "ok"
        assert {c.doc for i in timeline.items for c in i.citations} == {coverage[1][0]}
        again, _ = service.since_timeline(stories, datetime(2026, 12, 5, 9, 1, 30, tzinfo=timezone.utc))
        assert again is not None and again.to_json() == timeline.to_json()   # same key, from the cache
        with db.read() as conn:
            subjects = {r[0] for r in conn.execute(text("SELECT subject FROM ai_results"))}
        assert subjects == {"stories:" + ",".join(map(str, sorted(stories)))}
    finally:
        service.close()
