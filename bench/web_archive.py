"""Generated archives for ``web_bench.py``: articles made from the bundled demo corpus (real
paragraphs, shuffled and mixed with another article's, at their real sizes), grouped into
stories of 1-8 neighbouring articles with tags and related rows.

``build_sqlite`` inserts with executemany in batches of 5,000; ``build_postgres`` streams
every table with COPY (one pass, nothing held in memory), creates the full-text index (in id ranges,
``pgranges``) after the load and VACUUMs (ANALYZE included). On PostgreSQL the archive also has 40 outlets (the 4 demo outlets
under 10 names each, with several categories and languages) so the filters readers use
have something to select, and publication times grow with ids as they do in a collected
archive (an article is stored when it is published, give or take an hour).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select, text

from newsdesk.demo.corpus import OUTLETS, load_articles
from newsdesk.storage import pgranges
from newsdesk.storage.db import Database
from newsdesk.storage.schema import articles
from newsdesk.storage.sources import add_source

TAG_WORDS = ["ukraine", "russia", "economy", "energy", "diplomacy", "health", "elections",
             "climate", "security", "trade", "human-rights", "technology"]
CATEGORIES = ["politics", "world", "economy", "science", "culture"]
LANGUAGES = ["en", "en", "en", "de", "fr"]
PG_SOURCES_PER_OUTLET = 10


def _body(rng: random.Random, corpus: list, n: int) -> tuple:
    base = corpus[n % len(corpus)]
    donor = corpus[rng.randrange(len(corpus))]
    paras = base.paragraphs[:]
    rng.shuffle(paras)
    paras = [p for pair in zip(paras, donor.paragraphs) for p in pair][:max(3, len(paras))]
    return base, paras


# ----------------------------------------------------------------- SQLite
def build_sqlite(db: Database, total: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    corpus = load_articles()
    ids = {}
    for outlet in OUTLETS.values():
        src = add_source(db, f"{outlet.original_site}/feed", title=outlet.name,
                         outlet_label=outlet.label, category=outlet.category,
                         language=outlet.language, attribution=outlet.attribution,
                         site_url=outlet.original_site)
        ids[outlet.id] = src.id
    now = datetime.now(timezone.utc)
    batch: list[dict] = []
    for n in range(total):
        base, paras = _body(rng, corpus, n)
        body = "\n\n".join(paras)
        published = now - timedelta(seconds=rng.randrange(365 * 86400))
        batch.append({
            "source_id": ids[base.outlet_id], "entry_hash": f"{n:032x}", "guid": f"bench-{n}",
            "url": f"{base.url}{'&' if '?' in base.url else '?'}n={n}", "canonical_url": None,
            "title": base.title if n < len(corpus) else f"{base.title} ({n // len(corpus)})",
            "summary": None, "text": body,
            "html": "".join(f"<p>{p}</p>" for p in paras) if n % 2 == 0 else None,
            "authors": [base.author] if base.author else [], "categories": list(base.categories),
            "published_at": published if n % 50 else None, "updated_at": None,
            "fetched_at": published + timedelta(minutes=rng.randrange(1, 90)),
            "language": "en", "lead_image": None, "extraction": "page", "extraction_note": None,
            "word_count": len(body.split()), "content_hash": None})
        if len(batch) == 5000:
            _flush(db, batch)
    _flush(db, batch)
    _sqlite_stories(db, rng)


def _flush(db: Database, batch: list[dict]) -> None:
    if batch:
        with db.write() as conn:
            conn.execute(insert(articles), batch)
        batch.clear()


def _sqlite_stories(db: Database, rng: random.Random) -> None:
    """Group articles into stories of 1-8 (by publication order, as a clusterer would put
    neighbours together), with tags and related rows."""
    with db.read() as conn:
        rows = conn.execute(select(articles.c.id, articles.c.title,
                                   func.coalesce(articles.c.published_at, articles.c.fetched_at))
                            .order_by(func.coalesce(articles.c.published_at,
                                                    articles.c.fetched_at))).all()
    story_rows, links, a_tags, s_tags, rel = [], [], [], [], []
    for story_id, group, tags in _groups(rows, rng):
        story_rows.append({"id": story_id, "title": group[-1][1], "lead": group[-1][0],
                           "first": _naive(group[0][2]), "last": _naive(group[-1][2]),
                           "n": len(group)})
        s_tags += [{"s": story_id, "slug": t, "d": _display(t)} for t in tags]
        for aid, _, _ in group:
            links.append({"a": aid, "s": story_id})
            a_tags += [{"a": aid, "slug": t, "d": _display(t)} for t in tags]
            others = [g[0] for g in group if g[0] != aid][:3]
            rel += [{"a": aid, "b": other, "r": rank} for rank, other in enumerate(others, 1)]
    with db.write() as conn:
        conn.execute(text("INSERT INTO stories (id, title, lead_article_id, first_seen, last_seen, "
                          "article_count, outlet_count, updated_at) VALUES "
                          "(:id, :title, :lead, :first, :last, :n, 1, :last)"), story_rows)
        conn.execute(text("INSERT INTO article_story (article_id, story_id) VALUES (:a, :s)"), links)
        conn.execute(text("INSERT INTO article_tags (article_id, slug, display) VALUES (:a, :slug, :d)"),
                     a_tags)
        conn.execute(text("INSERT INTO story_tags (story_id, slug, display) VALUES (:s, :slug, :d)"),
                     s_tags)
        conn.execute(text("INSERT INTO related (article_id, related_id, rank, reason) "
                          "VALUES (:a, :b, :r, 'same story')"), rel)
        conn.execute(text("UPDATE stories SET outlet_count = (SELECT count(DISTINCT a.source_id) "
                          "FROM article_story x JOIN articles a ON a.id = x.article_id "
                          "WHERE x.story_id = stories.id)"))
        conn.execute(text("ANALYZE"))


def _groups(rows, rng: random.Random):
    """(story id, its rows, its two tags) over ``rows`` in order, stories of 1-8 rows."""
    i, story_id = 0, 0
    while i < len(rows):
        size = rng.choice([1, 1, 2, 3, 4, 5, 8])
        story_id += 1
        yield story_id, rows[i:i + size], rng.sample(TAG_WORDS, 2)
        i += size


def _display(slug: str) -> str:
    return slug.replace("-", " ").title()


def _naive(value):
    if isinstance(value, str):
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


# ----------------------------------------------------------------- PostgreSQL
ARTICLE_COLS = ("id", "source_id", "entry_hash", "guid", "url", "title", "text", "html",
                "authors", "categories", "published_at", "fetched_at", "language",
                "extraction", "word_count")


def build_postgres(db: Database, total: int, seed: int = 7, progress=print) -> None:
    """``total`` articles and their stories into an empty, migrated PostgreSQL database,
    with COPY. Ids are given explicitly and the identity sequences set after."""
    rng = random.Random(seed)
    corpus = load_articles()
    sources: dict[str, list[int]] = {}
    for outlet in OUTLETS.values():
        for k in range(PG_SOURCES_PER_OUTLET):
            src = add_source(db, f"{outlet.original_site}/feed/{k}", title=f"{outlet.name} {k}",
                             outlet_label=outlet.label, category=CATEGORIES[k % len(CATEGORIES)],
                             language=LANGUAGES[k % len(LANGUAGES)],
                             attribution=outlet.attribution, site_url=outlet.original_site)
            sources.setdefault(outlet.id, []).append(src.id)
    start = datetime.now(timezone.utc) - timedelta(days=365)
    step = 365 * 86400 / max(total, 1)
    with db.write() as conn:   # the full-text index is built after the load
        pgranges.drop_all(conn)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SET maintenance_work_mem = '512MB'")
        stories, links, a_tags, s_tags, rel = [], [], [], [], []
        with cur.copy(f"COPY articles ({', '.join(ARTICLE_COLS)}) FROM STDIN") as copy:
            story_id, left, group = 0, 0, []
            for n in range(1, total + 1):
                base, paras = _body(rng, corpus, n)
                body = "\n\n".join(paras)
                published = start + timedelta(seconds=n * step + rng.uniform(-3600, 0))
                title = f"{base.title} ({n // len(corpus)})" if n > len(corpus) else base.title
                copy.write_row((
                    n, rng.choice(sources[base.outlet_id]), f"{n:032x}", f"bench-{n}",
                    f"{base.url}{'&' if '?' in base.url else '?'}n={n}", title, body,
                    "".join(f"<p>{p}</p>" for p in paras) if n % 10 == 0 else None,
                    json.dumps([base.author] if base.author else []),
                    json.dumps(list(base.categories)), published if n % 50 else None,
                    published + timedelta(minutes=rng.randrange(1, 90)), None, "page",
                    len(body.split())))
                if left == 0:
                    _pg_story(group, story_id, rng, stories, links, a_tags, s_tags, rel)
                    story_id, left, group = story_id + 1, rng.choice([1, 1, 2, 3, 4, 5, 8]), []
                group.append((n, title, published))
                left -= 1
                if n % 100_000 == 0:
                    progress(f"  {n:,} articles copied")
            _pg_story(group, story_id, rng, stories, links, a_tags, s_tags, rel)
        for table, cols, rows in (
                ("stories", "id, title, lead_article_id, first_seen, last_seen, article_count, "
                            "outlet_count, updated_at", stories),
                ("article_story", "article_id, story_id", links),
                ("article_tags", "article_id, slug, display", a_tags),
                ("story_tags", "story_id, slug, display", s_tags),
                ("related", "article_id, related_id, rank, reason", rel)):
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            rows.clear()
        for table in ("articles", "stories"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        raw.commit()
        progress("  stories copied; building the full-text index (in id ranges)")
        with db.write() as conn:
            pgranges.create(conn, mem="512MB")
    finally:
        raw.close()
    # VACUUM, not only ANALYZE: a collected archive has been vacuumed by autovacuum (its
    # visibility map set), which index-only scans rely on; a fresh COPY has not. (Outside
    # a transaction: the pool's raw connection ignored ``autocommit = True`` set on it.)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))


def _pg_story(group, story_id, rng, stories, links, a_tags, s_tags, rel) -> None:
    if not group:
        return
    tags = rng.sample(TAG_WORDS, 2)
    stories.append((story_id, group[-1][1], group[-1][0], group[0][2], group[-1][2],
                    len(group), 1, group[-1][2]))
    s_tags.extend((story_id, t, _display(t)) for t in tags)
    for aid, _, _ in group:
        links.append((aid, story_id))
        a_tags.extend((aid, t, _display(t)) for t in tags)
        others = [g[0] for g in group if g[0] != aid][:3]
        rel.extend((aid, other, rank, "same story") for rank, other in enumerate(others, 1))


# ----------------------------------------------------------------- either
def prepare(url: str, total: int, rebuild: bool = False) -> Database:
    """The archive at ``url`` with ``total`` articles: reused when it has them, built when
    empty (``rebuild`` empties it first). Returns the open database."""
    import time
    from pathlib import Path
    if rebuild:
        if url.startswith("sqlite:///"):
            for suffix in ("", "-wal", "-shm"):
                Path(url[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
        else:
            scratch = Database.from_url(url, migrate=False)
            with scratch.write() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            scratch.close()
    db = Database.from_url(url)
    with db.read() as conn:
        have = conn.execute(select(func.count()).select_from(articles)).scalar()
    if have == total:
        return db
    if have:
        raise SystemExit(f"{url} holds {have:,} articles, not {total:,}: use --rebuild")
    start = time.monotonic()
    (build_sqlite if db.is_sqlite else build_postgres)(db, total)
    print(f"built {total:,} articles in {time.monotonic() - start:.0f} s at {url}", flush=True)
    return db
