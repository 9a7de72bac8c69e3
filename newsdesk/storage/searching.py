"""Read-only queries for the search page and the admin's fetch-health chart (split from
``reading.py``, which holds the page queries they share helpers with)."""

from __future__ import annotations

from collections import defaultdict, namedtuple
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from markupsafe import escape

from . import pgsearch
from .articles import fts5_query
from .db import Database
from .reading import COLS, MAX_LIMIT, _filters, _item, _rows, _ts


# How many matches a search looks at, newest first: the work per query is bounded by this
# number, not by the size of the archive. Matches are taken in id order (ids grow as articles
# are collected, so the newest additions come first); the full-text index walks them in that
# order and stops, and only these candidates are ranked. A search with more matches than this
# says so, and more words or a filter reach further back.
CANDIDATES = 1000
# With filters, how many of the newest word matches are checked against them (a rare outlet
# would otherwise make the walk go through every match of a common word).
FILTER_SCAN = 10 * CANDIDATES
# Snippets are made from the start of a text this long at most (PostgreSQL's ts_headline
# parses all it is given; it tries the first part of that first: pgsearch.snippet).
SNIPPET_TEXT = 6_000


@dataclass
class Found:
    """One page of search results and what was searched to find it.

    ``matches`` is how many matching articles were considered; when ``complete`` that is all
    of them. Otherwise either more than ``bound`` match and these are the ``bound`` newest, or
    (``scanned`` set) filters were checked only on the ``scanned`` newest matches of the
    words. ``top`` is the newest matching id at the first page; later pages search only up
    to it (the newest match of the words, filters or not), so articles collected meanwhile
    do not shift them."""
    results: list[dict]
    more: bool
    matches: int
    complete: bool
    bound: int
    top: int | None
    scanned: int | None = None


def search(db: Database, query: str, *, sort: str = "relevance", category: str | None = None,
           language: str | None = None, outlet: int | None = None, offset: int = 0,
           limit: int = 20, top: int | None = None, bound: int | None = None,
           scan: int | None = None, after: int = 0) -> Found:
    """Full-text search, best match or newest first, with filters, over the ``bound``
    (default ``CANDIDATES``) newest matching articles with ``after`` < id <= ``top`` (``after``:
    a saved search's new matches); with filters, over
    at most the ``scan`` (default ``FILTER_SCAN``) newest matches of the words (on
    PostgreSQL not with an outlet: its own articles bound the work, see ``_pg_candidates``).

    Each step is bounded: (0) with filters, find how far back ``scan`` word matches reach;
    (1) the index walks matches newest first, applying the filters, and stops after
    ``bound`` + 1; only these rows are scored (bm25 on SQLite, ts_rank on PostgreSQL) and
    sorted; (2) the page's rows are loaded and get snippets. Snippets mark matched words
    with \\x02 ... \\x03, not HTML: the text is untrusted, so the caller escapes it and then
    turns the markers into <mark>."""
    limit = max(1, min(limit, MAX_LIMIT))
    bound = max(1, bound or CANDIDATES)
    scan = max(bound, scan or FILTER_SCAN)
    where, params = _filters(category, language, outlet)
    params.update(n=bound + 1, scan=scan + 1, floor=max(0, after),
                  top=top if top is not None else 2**63 - 1)
    when = "coalesce(a.published_at, a.fetched_at)"
    if db.is_sqlite:
        params["q"] = fts5_query(query)
        reach = """SELECT count(*), min(id), max(id) FROM (SELECT rowid AS id FROM articles_fts
            WHERE articles_fts MATCH :q AND rowid <= :top ORDER BY rowid DESC LIMIT :scan)"""
        # bm25() must sit in the query that has MATCH; with the index walking rowids in
        # order and a LIMIT, it runs only for the rows returned (plus, once per query, a
        # count of each word's documents for its weight). The date and filter columns
        # come from a covering index (migration 7), not from the long article row;
        # CROSS JOIN keeps that order (matches, then their article, then its outlet).
        rank = "0" if sort == "date" else "bm25(articles_fts, 4.0, 1.0)"
        candidates = f"""SELECT articles_fts.rowid AS id, {rank} AS rank,
                {when} AS sort_when
            FROM articles_fts CROSS JOIN articles a INDEXED BY articles_search_keys
                ON a.id = articles_fts.rowid
            CROSS JOIN sources s ON s.id = a.source_id
            WHERE articles_fts MATCH :q AND articles_fts.rowid <= :top
                AND articles_fts.rowid > :floor{where}
            ORDER BY articles_fts.rowid DESC LIMIT :n"""
        page = f"""SELECT {COLS}, NULL AS snippet FROM articles a
            JOIN sources s ON s.id = a.source_id WHERE a.id IN :ids"""
        # Snippets: walk the matches again over the page's id range and make one only for
        # the page's rows. (A plain "rowid IN" would restart the full-text query per id,
        # which costs more on long posting lists; the "+" keeps it a filter on the walk.)
        marks = """SELECT rowid AS id, snippet(articles_fts, -1, char(2), char(3), ' … ', 28)
            FROM articles_fts WHERE articles_fts MATCH :q AND rowid BETWEEN :lo AND :hi
            AND +rowid IN :ids"""
    else:
        params["q"] = query
        # filters also asked as index conditions (the outlets of a category or language):
        # see pgsearch.outlets_with
        if category:
            where += " AND a.source_id = ANY(:category_outlets)"
        if language:
            where += " AND (a.language = :language OR a.source_id = ANY(:language_outlets))"
        # windows of ids newest first, bitmap scans only: see pgsearch.py
        reach = f"""SELECT a.id FROM articles a WHERE a.search_vector @@ {pgsearch.TSQ}
            AND {{window}} ORDER BY a.id DESC LIMIT :want"""
        candidates = f"""SELECT a.id, {when} AS sort_when FROM articles a
            JOIN sources s ON s.id = a.source_id
            WHERE a.search_vector @@ {pgsearch.TSQ} AND {{window}}{where}
            ORDER BY a.id DESC LIMIT :want"""
        page = f"""SELECT {COLS}, {pgsearch.snippet("a.text", SNIPPET_TEXT)} AS snippet
            FROM articles a JOIN sources s ON s.id = a.source_id WHERE a.id IN :ids"""
        if sort != "date":   # rank the candidates and make the page in one statement
            page = f"""SELECT {COLS}, {pgsearch.snippet("a.text", SNIPPET_TEXT)} AS snippet,
                    shown.rank FROM ({pgsearch.RANKED} ORDER BY rank DESC, id DESC
                        OFFSET :offset LIMIT :limit) shown
                JOIN articles a ON a.id = shown.id JOIN sources s ON s.id = a.source_id
                ORDER BY shown.rank DESC, shown.id DESC"""
        marks = None
    scanned = newest = None
    with db.read() as conn:
        if db.is_sqlite:
            if where:   # how far back the newest ``scan`` matches of the words go
                reached, oldest, newest = _rows(conn, reach, params)[0]
                if reached > scan:
                    scanned, params["floor"] = scan, max(oldest, params["floor"])
            found = _rows(conn, candidates, params)
        else:
            if category:
                params["category_outlets"] = pgsearch.outlets_with(conn, "category", category)
            if language:
                params["language_outlets"] = pgsearch.outlets_with(conn, "language", language)
            found, scanned, newest = _pg_candidates(conn, query, reach, candidates, params,
                                                    bound, scan, filtered=bool(where),
                                                    outlet=outlet)
            if sort != "date":
                return _pg_ranked(conn, page, params, found, bound, offset, limit, scanned,
                                  newest, top)
        over = len(found) > bound
        found = found[:bound]
        if sort == "date":
            found.sort(key=lambda r: (r.sort_when, r.id), reverse=True)
        else:
            found.sort(key=lambda r: (r.rank, -r.id))
        shown = found[offset:offset + limit]
        ids = [r.id for r in shown]
        rows = _rows(conn, page, dict(params, ids=ids), "ids") if ids else []
        snippets = {r.id: r.snippet for r in rows}
        if marks and ids:
            snippets = dict(_rows(conn, marks, {"q": params["q"], "lo": min(ids), "hi": max(ids),
                                                "ids": ids}, "ids"))
    by_id = {r.id: r for r in rows}
    results = [dict(_item(by_id[c.id]), snippet=snippets.get(c.id) or "", rank=c.rank)
               for c in shown if c.id in by_id]
    return _found(results, found, over, bound, offset, limit, scanned, newest, top)


def _found(results: list[dict], found: list, over: bool, bound: int, offset: int, limit: int,
           scanned: int | None, newest: int | None, top: int | None) -> Found:
    """The answer, from the page's ``results`` and the (at most ``bound``) candidates."""
    if newest is None:
        newest = max((r.id for r in found), default=top)
    return Found(results=results, more=len(found) > offset + limit, matches=len(found),
                 complete=not over and scanned is None, bound=bound, top=newest,
                 scanned=None if over else scanned)


Candidate = namedtuple("Candidate", "id rank sort_when")


def _pg_ranked(conn, page: str, params: dict, found: list, bound: int, offset: int,
               limit: int, scanned: int | None, newest: int | None, top: int | None) -> Found:
    """PostgreSQL, best match first: the candidates ranked and the page's rows read in one
    statement (``page``), in the order of ``rank``: ts_rank descending, then id descending."""
    over = len(found) > bound
    found = found[:bound]
    rows = (_rows(conn, page, dict(params, ids=[r.id for r in found], offset=offset,
                                   limit=limit)) if offset < len(found) else [])
    results = [dict(_item(r), snippet=r.snippet or "", rank=-r.rank) for r in rows]
    return _found(results, found, over, bound, offset, limit, scanned, newest, top)


def _pg_candidates(conn, query: str, reach: str, candidates: str, params: dict, bound: int,
                   scan: int, *, filtered: bool, outlet: int | None = None):
    """PostgreSQL: the newest ``bound`` + 1 matches (with filters, among the newest ``scan``
    matches of the words), found without reading a vector; then only these are ranked.
    With filters, windows of about ``scan`` word matches are tried first; only when they
    hold too few filtered matches is the exact reach of ``scan`` word matches looked up.
    With an outlet, the search starts from the outlet's own articles (the outlet index
    ANDed with the words' in each window, windows sized by the outlet's matches): its
    newest ``bound`` + 1 matches however far back they go, not only those among the
    ``scan`` newest of the words (which a busy archive fills with other outlets')."""
    at = pgsearch.shape(conn, query, params["top"], outlet)
    floor, scanned, newest = params["floor"], None, None
    if outlet is not None:
        found, _ = pgsearch.newest(conn, candidates, params, bound + 1, floor, at, walk=False)
        filtered = False
    else:
        found, final = pgsearch.newest(conn, candidates, params, bound + 1, floor, at,
                                       reach=scan if filtered else None)
    if filtered and not final and len(found) <= bound:
        hits, _ = pgsearch.newest(conn, reach, params, scan + 1, floor, at)
        newest = max((h.id for h in hits), default=None)
        if len(hits) > scan:
            scanned, floor = scan, max(min(h.id for h in hits), floor)
            params["floor"] = floor
        found, _ = pgsearch.newest(conn, candidates, params, bound + 1, floor, at)
    return [Candidate(r.id, 0.0, r.sort_when) for r in found], scanned, newest


def search_articles(db: Database, query: str, limit: int = 20) -> list[dict]:
    """``search`` for scripts: best match first, snippets as HTML with ``<mark>`` (the
    text escaped first)."""
    results = search(db, query, limit=limit).results if query.strip() else []
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
