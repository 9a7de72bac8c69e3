"""Read-only queries behind the web pages: story detail, the article page's surroundings,
tag, outlet and search pages, and the admin health view (the front page is in
``front.py``, threads in ``threads.py``).

Plain SQL (the same on SQLite and PostgreSQL), each statement parsed once and cached.
Every function runs a small, fixed number of queries -- never one per item -- and returns
plain dicts, easy to render and to dump as JSON. Lists page with keyset cursors
(``encode_cursor``/``decode_cursor``): opaque to clients, as fast on page 5,000 as on 1.
Newest-first lists read two index-friendly streams (by ``published_at``; by
``fetched_at`` for the few articles without a date) instead of sorting on coalesce().

Until the stories stage has put an article into a story, the article stands as its own
one-article story on the front page, so the site works on a database with no stories.
"""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict, namedtuple
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, text

from .. import speech
from ..errors import NotFound
from .db import Database, as_utc, db_time, sqlite_rows

MAX_LIMIT = 100
COLS = """a.id, a.title, a.url, a.published_at, a.fetched_at, a.language,
    substr(a.text, 1, 600) AS lead, a.source_id, coalesce(s.title, s.url) AS outlet,
    s.outlet_label, s.category"""
ARTICLE = ("id", "source_id", "entry_hash", "guid", "url", "canonical_url", "title", "summary",
           "text", "html", "authors", "categories", "published_at", "updated_at", "fetched_at",
           "language", "lead_image", "extraction", "extraction_note", "word_count", "content_hash")


@lru_cache(maxsize=256)
def _sql(statement: str, *expanding: str):
    clause = text(statement)
    return clause.bindparams(*(bindparam(n, expanding=True) for n in expanding)) if expanding else clause


def _rows(conn, statement: str, params: dict | None = None, *expanding: str) -> list:
    """Rows with attribute and ``_mapping`` access. On SQLite, plain queries run on the
    driver cursor: pages run several per request, and SQLAlchemy's per-statement result
    setup costs more than SQLite's own work for these small indexed reads."""
    if expanding or conn.dialect.name != "sqlite":
        return conn.execute(_sql(statement, *expanding), params or {}).all()
    names, rows = sqlite_rows(conn, statement, params)
    make = _row_type(names)
    return [make(*r) for r in rows]


@lru_cache(maxsize=256)
def _row_type(names: tuple[str, ...]) -> type:
    base = namedtuple("Row", names, rename=True)
    return type("Row", (base,), {"__slots__": (),
                                 "_mapping": property(lambda row: dict(zip(names, row)))})


# ----------------------------------------------------------------- cursors and values
def encode_cursor(*key: Any) -> str:
    """An opaque cursor for a sort key (datetime, int, str values)."""
    parts = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, shape: str) -> tuple:
    """The key inside ``cursor``; ``shape`` gives each part's type: t(ime) i(nt) s(tr).
    Raises ValueError for anything that is not a cursor we made."""
    try:
        if len(cursor) > 200:
            raise ValueError
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(parts, list) or len(parts) != len(shape):
            raise ValueError
        out: list[Any] = []
        for kind, value in zip(shape, parts):
            if kind == "t":
                out.append(as_utc(datetime.fromisoformat(value)))
            elif kind == "i":
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
                    raise ValueError
                out.append(value)
            elif isinstance(value, str):
                out.append(value)
            else:
                raise ValueError
        return tuple(out)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise ValueError("invalid cursor") from exc


def _ts(db: Database, when: datetime) -> Any:
    return db_time(db.dialect, when)


def summary_line(lead: str | None, limit: int = 240) -> str:
    """The first paragraph of a text that reads as its opening, cut at a word boundary.

    Short lines that are not sentences come before the story in many texts: a venue or a
    dateline ("East Room", "Chandler, AZ"), a document's heading ("MEMORANDUM FOR THE
    SECRETARY OF STATE"), a salutation ("To the Members of the Federal Workforce:"), a
    link ("Read the full strategy here"). They are skipped; a short paragraph that ends
    as a sentence ends ("The President chaired a meeting on economic issues.") is a lede.
    A transcript's opening turn starts after its speaker label, greetings, thanks and
    stage directions (``speech.spoken_opening``); when nothing near the opening says
    anything, there is no preview: a title alone tells more than "Hello, hello, hello." """
    paragraphs = [p.strip() for p in (lead or "").strip().split("\n") if p.strip()]
    start = next((i for i, p in enumerate(paragraphs) if _reads_as_opening(p)), 0)
    first = paragraphs[start] if paragraphs else ""
    if first and speech.is_turn(first):
        first = speech.spoken_opening(paragraphs, start)
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0].rstrip(",;:-–—") + "…"


_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")


def _reads_as_opening(paragraph: str) -> bool:
    return bool(_SENTENCE_END.search(paragraph)) or len(paragraph.split()) >= 12


def _item(row) -> dict[str, Any]:
    m = row._mapping
    published, fetched = as_utc(m["published_at"]), as_utc(m["fetched_at"])
    return {"id": m["id"], "title": m["title"], "url": m["url"], "published_at": published,
            "fetched_at": fetched, "when": published or fetched, "language": m["language"],
            "summary": summary_line(m["lead"]),
            "outlet": {"id": m["source_id"], "name": m["outlet"], "label": m["outlet_label"],
                       "category": m["category"]}}


def _filters(category: str | None, language: str | None, outlet: int | None) -> tuple[str, dict]:
    parts, params = [], {}
    if category:
        parts.append("s.category = :category")
        params["category"] = category
    if language:
        parts.append("coalesce(a.language, s.language) = :language")
        params["language"] = language
    if outlet is not None:
        parts.append("a.source_id = :outlet")
        params["outlet"] = outlet
    return "".join(" AND " + p for p in parts), params


def _after(db: Database, column: str, id_column: str, cursor: tuple | None,
           kind: str | None = None) -> tuple[str, dict]:
    """SQL for rows strictly after ``cursor`` in (time desc, kind desc, id desc) order."""
    if not cursor:
        return "", {}
    when, c_id = (cursor[0], cursor[-1])
    params = {"c_when": _ts(db, when), "c_id": c_id}
    if kind is not None and kind < cursor[1]:
        return f" AND {column} <= :c_when", params
    if kind is not None and kind > cursor[1]:
        return f" AND {column} < :c_when", params
    # "<=" first lets the database walk the time index; the OR only trims the tie
    return (f" AND {column} <= :c_when AND ({column} < :c_when OR {id_column} < :c_id)", params)


def _streams(db: Database, conn, where: str, params: dict, cursor: tuple | None, limit: int,
             floor: datetime | None = None, kind: str | None = None, by_id: str = "") -> list[dict]:
    """Newest articles matching ``by_id`` and ``where``, by publication time or, when
    unknown, fetch time: two queries that each walk an index instead of sorting the table.
    ``by_id`` holds conditions answerable from indexes alone (on a.id, a.source_id); for
    the undated stream on SQLite they run in a subquery first, so big rows are read only
    for matches."""
    out = []
    for column in ("a.published_at", "a.fetched_at"):
        after, extra = _after(db, column, "a.id", cursor, kind)
        low = f" AND {column} >= :floor" if floor is not None else ""
        if column == "a.published_at":
            match = f"a.published_at IS NOT NULL{by_id}"
        elif not db.is_sqlite:
            # PostgreSQL turns these conditions into joins itself; given the subquery it
            # joined every undated article (an outlet page: 40-340 ms at 1M articles,
            # against 4 ms written flat, walking ``articles_undated``)
            match = f"a.published_at IS NULL{by_id}"
        else:
            match = f"a.published_at IS NULL AND a.id IN (SELECT a.id FROM articles a WHERE a.published_at IS NULL{by_id})"
        statement = (f"SELECT {COLS} FROM articles a JOIN sources s ON s.id = a.source_id "
                     f"WHERE {match}{where}{low}{after} ORDER BY {column} DESC, a.id DESC LIMIT :limit")
        values = dict(params, **extra, limit=limit + 1)
        if floor is not None:
            values["floor"] = _ts(db, floor)
        out += [_item(r) for r in _rows(conn, statement, values)]
    return sorted(out, key=lambda i: (i["when"], i["id"]), reverse=True)


def story_outlets(conn, story_ids: list[int]) -> dict[int, list[dict]]:
    """story id -> its outlets (id, name, label, category, count), most articles first."""
    out: dict[int, list[dict]] = defaultdict(list)
    if story_ids:
        for r in _rows(conn, """
                SELECT x.story_id, a.source_id, coalesce(s.title, s.url) AS name,
                       s.outlet_label, s.category, count(*) AS n
                FROM article_story x JOIN articles a ON a.id = x.article_id
                JOIN sources s ON s.id = a.source_id WHERE x.story_id IN :ids
                GROUP BY x.story_id, a.source_id, s.title, s.url, s.outlet_label, s.category""",
                       {"ids": story_ids}, "ids"):
            out[r.story_id].append({"id": r.source_id, "name": r.name, "count": r.n,
                                    "label": r.outlet_label, "category": r.category})
    for items in out.values():
        items.sort(key=lambda o: (-o["count"], o["name"]))
    return out


# ----------------------------------------------------------------- one story
def story_detail(db: Database, story_id: int, limit: int = 500) -> dict[str, Any]:
    with db.read() as conn:
        found = _rows(conn, "SELECT st.id, st.title, st.lead_article_id, st.first_seen, "
                      "st.last_seen, st.article_count, st.outlet_count, st.updated_at, "
                      "t.id AS thread_id, coalesce(t.name, t.title) AS thread_title, "
                      "t.story_count AS thread_stories "
                      "FROM stories st LEFT JOIN threads t ON t.id = st.thread_id WHERE st.id = :id",
                      {"id": story_id})
        if not found:
            raise NotFound(f"no story {story_id}")
        rows = _rows(conn, f"""
            SELECT {COLS} FROM article_story x JOIN articles a ON a.id = x.article_id
            JOIN sources s ON s.id = a.source_id WHERE x.story_id = :id
            ORDER BY coalesce(a.published_at, a.fetched_at) DESC, a.id DESC LIMIT :limit""",
                     {"id": story_id, "limit": limit})
        tags = _rows(conn, "SELECT slug, display FROM story_tags WHERE story_id = :id "
                     "ORDER BY score DESC, slug LIMIT 20", {"id": story_id})
    story = dict(found[0]._mapping)
    for key in ("first_seen", "last_seen", "updated_at"):
        story[key] = as_utc(story[key])
    story["thread"] = _thread(story.pop("thread_id"), story.pop("thread_title"),
                              story.pop("thread_stories"))
    story["articles"] = [_item(r) for r in rows]
    story["tags"] = [{"slug": t.slug, "display": t.display} for t in tags]
    story["timeline"] = timeline(story["articles"])
    return story


def _thread(thread_id, title, story_count) -> dict | None:
    """The thread a story is part of, for "in the thread ..." links."""
    if thread_id is None:
        return None
    return {"id": thread_id, "title": title, "story_count": story_count}


def timeline(items: list[dict], max_days: int = 60) -> dict[str, Any]:
    """Articles per day and outlet: {"days": [date...], "outlets": [{name, counts}]}."""
    if not items:
        return {"days": [], "outlets": []}
    counts: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for item in items:
        counts[item["outlet"]["name"]][item["when"].date()] += 1
    last = max(i["when"].date() for i in items)
    span = min((last - min(i["when"].date() for i in items)).days, max_days - 1)
    days = [last - timedelta(days=n) for n in range(span, -1, -1)]
    return {"days": days, "outlets": [{"name": name, "counts": [per_day.get(d, 0) for d in days]}
                                      for name, per_day in sorted(counts.items())]}


# ----------------------------------------------------------------- one article
def article_context(db: Database, article_id: int, related_limit: int = 6) -> dict[str, Any]:
    """An article with its outlet, story, provenance, tags and related coverage."""
    with db.read() as conn:
        found = _rows(conn, f"""
            SELECT {', '.join('a.' + c for c in ARTICLE)}, coalesce(s.title, s.url) AS outlet,
                   s.outlet_label, s.attribution, s.site_url, s.category AS outlet_category,
                   st.id AS story_id, st.title AS story_title, st.article_count AS story_articles,
                   st.outlet_count AS story_outlets, t.id AS thread_id,
                   coalesce(t.name, t.title) AS thread_title,
                   t.story_count AS thread_stories, d.canonical_id, d.overlap AS dup_overlap,
                   p.kind AS prov_kind, p.origin_id AS prov_origin, p.overlap AS prov_overlap,
                   (SELECT count(*) FROM duplicates c WHERE c.canonical_id = a.id) AS copies,
                   EXISTS (SELECT 1 FROM comments k WHERE k.subject_type = 'article'
                           AND k.subject_id = a.id) AS has_comments
            FROM articles a JOIN sources s ON s.id = a.source_id
            LEFT JOIN article_story x ON x.article_id = a.id
            LEFT JOIN stories st ON st.id = x.story_id
            LEFT JOIN threads t ON t.id = st.thread_id
            LEFT JOIN duplicates d ON d.article_id = a.id
            LEFT JOIN provenance p ON p.article_id = a.id
            WHERE a.id = :id""", {"id": article_id})
        if not found:
            raise NotFound(f"no article {article_id}")
        m = found[0]._mapping
        tags = _rows(conn, "SELECT slug, display FROM article_tags WHERE article_id = :id "
                     "ORDER BY score DESC, slug LIMIT 20", {"id": article_id})
        related = _rows(conn, f"""
            SELECT {COLS}, r.reason FROM related r JOIN articles a ON a.id = r.related_id
            JOIN sources s ON s.id = a.source_id WHERE r.article_id = :id
            ORDER BY r.rank, r.score DESC LIMIT :limit""", {"id": article_id, "limit": related_limit})
        related_items = [dict(_item(r), reason=r.reason) for r in related]
        also = [] if not m["copies"] else _rows(conn, """
            SELECT a.id, coalesce(s.title, s.url) AS outlet, s.outlet_label, c.overlap
            FROM duplicates c JOIN articles a ON a.id = c.article_id
            JOIN sources s ON s.id = a.source_id WHERE c.canonical_id = :id
            ORDER BY c.overlap DESC, a.id LIMIT 20""", {"id": article_id})
        if not related_items and m["story_id"] is not None:   # the rest of its story
            same = _rows(conn, f"""
                SELECT {COLS} FROM article_story x JOIN articles a ON a.id = x.article_id
                JOIN sources s ON s.id = a.source_id WHERE x.story_id = :story AND a.id <> :id
                ORDER BY coalesce(a.published_at, a.fetched_at) DESC, a.id DESC LIMIT :limit""",
                         {"story": m["story_id"], "id": article_id, "limit": related_limit})
            related_items = [dict(_item(r), reason="same story") for r in same]
    article = {k: m[k] for k in ARTICLE}
    for key in ("published_at", "updated_at", "fetched_at"):
        article[key] = as_utc(article[key])
    for key in ("authors", "categories"):
        value = article[key]
        article[key] = json.loads(value) if isinstance(value, str) and value else (value or [])
    return {
        "article": article,
        "outlet": {"id": m["source_id"], "name": m["outlet"], "label": m["outlet_label"],
                   "attribution": m["attribution"], "site_url": m["site_url"],
                   "category": m["outlet_category"]},
        "tags": [{"slug": t.slug, "display": t.display} for t in tags],
        "story": {"id": m["story_id"], "title": m["story_title"], "article_count":
                  m["story_articles"], "outlet_count": m["story_outlets"],
                  "thread": _thread(m["thread_id"], m["thread_title"], m["thread_stories"])}
        if m["story_id"] is not None else None,
        "related": related_items,
        "duplicate_of": {"canonical_id": m["canonical_id"], "overlap": m["dup_overlap"]}
        if m["canonical_id"] is not None else None,
        "provenance": {"kind": m["prov_kind"], "origin_id": m["prov_origin"],
                       "overlap": m["prov_overlap"]} if m["prov_kind"] else None,
        "copies": int(m["copies"] or 0),
        "has_comments": bool(m["has_comments"]),
        "also_published_by": [{"article_id": r.id, "outlet": r.outlet, "label": r.outlet_label,
                               "overlap": r.overlap} for r in also]}


# ----------------------------------------------------------------- tag and outlet pages
def _page(items: list[dict], limit: int) -> tuple[list[dict], tuple | None]:
    more, items = len(items) > limit, items[:limit]
    return items, ((items[-1]["when"], items[-1]["id"]) if more and items else None)


def tag_page(db: Database, slug: str, *, cursor: tuple | None = None,
             limit: int = 30) -> dict[str, Any]:
    limit = max(1, min(limit, MAX_LIMIT))
    with db.read() as conn:
        found = _rows(conn, "SELECT display FROM article_tags WHERE slug = :slug LIMIT 1",
                      {"slug": slug}) or _rows(
            conn, "SELECT display FROM story_tags WHERE slug = :slug LIMIT 1", {"slug": slug})
        if not found:
            raise NotFound(f"no tag {slug!r}")
        tagged = " AND EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.slug = :slug)"
        items, next_key = _page(_streams(db, conn, "", {"slug": slug}, cursor, limit,
                                         by_id=tagged), limit)
        top = _rows(conn, """
            SELECT st.id, st.title, st.last_seen, st.article_count, st.outlet_count
            FROM story_tags t JOIN stories st ON st.id = t.story_id WHERE t.slug = :slug
            ORDER BY st.last_seen DESC LIMIT 10""", {"slug": slug})
    return {"slug": slug, "display": found[0].display, "articles": items, "next": next_key,
            "stories": [dict(r._mapping, last_seen=as_utc(r.last_seen)) for r in top]}


def outlet_page(db: Database, source_id: int, *, cursor: tuple | None = None,
                limit: int = 30) -> dict[str, Any]:
    limit = max(1, min(limit, MAX_LIMIT))
    with db.read() as conn:
        found = _rows(conn, "SELECT id, url, site_url, title, category, language, outlet_label, "
                      "attribution, enabled FROM sources WHERE id = :id", {"id": source_id})
        if not found:
            raise NotFound(f"no outlet {source_id}")
        items, next_key = _page(_streams(db, conn, "", {"source": source_id}, cursor, limit,
                                         by_id=" AND a.source_id = :source"), limit)
    outlet = dict(found[0]._mapping)
    outlet["name"] = outlet["title"] or outlet["url"]
    return {"outlet": outlet, "articles": items, "next": next_key}


def outlets(db: Database) -> list[dict[str, Any]]:
    """Every source with its label, attribution and article count."""
    with db.read() as conn:
        counts = dict(_rows(conn, "SELECT source_id, count(*) FROM articles GROUP BY source_id"))
        rows = _rows(conn, "SELECT id, url, site_url, title, category, language, outlet_label, "
                     "attribution, enabled FROM sources ORDER BY category, title, id")
    return [dict(r._mapping, name=r.title or r.url, articles=counts.get(r.id, 0)) for r in rows]


def filter_choices(db: Database) -> dict[str, list]:
    """Values the front page can filter on: categories, languages and outlets."""
    with db.read() as conn:
        rows = _rows(conn, "SELECT id, title, url, category, language FROM sources ORDER BY title, id")
    return {"categories": sorted({r.category for r in rows if r.category}),
            "languages": sorted({r.language for r in rows if r.language}),
            "outlets": [{"id": r.id, "name": r.title or r.url} for r in rows]}
