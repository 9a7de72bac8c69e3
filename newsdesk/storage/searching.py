"""Read-only queries for the search page and the admin's fetch-health chart (split from
``reading.py``, which holds the page queries they share helpers with)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from markupsafe import escape

from .articles import fts5_query
from .db import Database
from .reading import COLS, MAX_LIMIT, _filters, _item, _rows, _ts


def search(db: Database, query: str, *, sort: str = "relevance", category: str | None = None,
           language: str | None = None, outlet: int | None = None, offset: int = 0,
           limit: int = 20) -> tuple[list[dict], bool]:
    """Full-text search, best match or newest first, with filters. Snippets mark matched
    words with \\x02 ... \\x03, not HTML: the text is untrusted, so the caller escapes it
    and then turns the markers into <mark>. Returns (results, whether more exist).
    The page of ids is found first, so snippets are only made for the rows shown."""
    limit = max(1, min(limit, MAX_LIMIT))
    where, params = _filters(category, language, outlet)
    params.update(limit=limit + 1, offset=offset)
    when = "coalesce(a.published_at, a.fetched_at)"
    if db.is_sqlite:
        order = f"{when} DESC, a.id DESC" if sort == "date" else "bm25(articles_fts, 4.0, 1.0), a.id DESC"
        page = (f"SELECT a.id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
                f"JOIN sources s ON s.id = a.source_id WHERE articles_fts MATCH :q{where} "
                f"ORDER BY {order} LIMIT :limit OFFSET :offset")
        statement = f"""SELECT {COLS}, snippet(articles_fts, -1, char(2), char(3), ' … ', 28) AS snippet,
                   bm25(articles_fts, 4.0, 1.0) AS rank
            FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
            JOIN sources s ON s.id = a.source_id
            WHERE articles_fts MATCH :q AND articles_fts.rowid IN ({page})"""
        params["q"] = fts5_query(query)
    else:
        tsq = "websearch_to_tsquery('english', :q)"
        order = f"{when} DESC, a.id DESC" if sort == "date" else f"ts_rank(a.search_vector, {tsq}) DESC, a.id DESC"
        page = (f"SELECT a.id FROM articles a JOIN sources s ON s.id = a.source_id "
                f"WHERE a.search_vector @@ {tsq}{where} ORDER BY {order} LIMIT :limit OFFSET :offset")
        statement = f"""SELECT {COLS}, ts_headline('english', a.text, {tsq},
                'StartSel=' || chr(2) || ', StopSel=' || chr(3) || ', MaxFragments=2, MaxWords=30')
                AS snippet, -ts_rank(a.search_vector, {tsq}) AS rank
            FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id IN ({page})"""
        params["q"] = query
    with db.read() as conn:
        rows = _rows(conn, statement, params)
    results = [dict(_item(r), snippet=r.snippet or "", rank=r.rank) for r in rows]
    if sort == "date":
        results.sort(key=lambda r: (r["when"], r["id"]), reverse=True)
    else:
        results.sort(key=lambda r: (r["rank"], -r["id"]))
    return results[:limit], len(results) > limit



def search_articles(db: Database, query: str, limit: int = 20) -> list[dict]:
    """``search`` for scripts: best match first, snippets as HTML with ``<mark>`` (the
    text escaped first)."""
    results, _more = search(db, query, limit=limit) if query.strip() else ([], False)
    return [dict(r, snippet=str(escape(r["snippet"])).replace("\x02", "<mark>").replace("\x03", "</mark>"))
            for r in results]


# ----------------------------------------------------------------- admin health
def articles_per_day(db: Database, days: int = 30, today: datetime | None = None) -> dict[int, list[int]]:
    """Per source, articles per day over the last ``days`` days (oldest first), by
    publication date or, when unknown, fetch date."""
    end = (today or datetime.now(timezone.utc)).date()
    start = end - timedelta(days=days - 1)
    when = "coalesce(published_at, fetched_at)"
    day = f"date({when})" if db.is_sqlite else f"to_char({when}, 'YYYY-MM-DD')"
    out: dict[int, list[int]] = defaultdict(lambda: [0] * days)
    with db.read() as conn:
        for source_id, day_text, n in _rows(conn, f"SELECT source_id, {day} AS day, count(*) FROM "
                                            f"articles WHERE {when} >= :since GROUP BY source_id, day",
                                            {"since": _ts(db, datetime(start.year, start.month, start.day,
                                                                       tzinfo=timezone.utc))}):
            index = (datetime.fromisoformat(str(day_text)).date() - start).days
            if 0 <= index < days:
                out[source_id][index] = n
    return dict(out)
