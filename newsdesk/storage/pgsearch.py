"""How PostgreSQL finds a search's candidates without reading every match's text.

A tsvector is long, so PostgreSQL stores it apart (TOAST, compressed): reading one means a
look-up in the TOAST table and a decompression. Walking the primary key newest first and
testing ``search_vector @@ query`` on each row reads the vector of every row it passes
(a common word with a filter: 10,000 rows, 0.7 s at 200,000 articles); a plain GIN bitmap
finds every match without reading any vector, but then visits every match's row (hundreds
of thousands for a common word on a big archive).

So the newest matches are taken in id *windows*: ``a.id > lo`` is a range of the primary
key, which PostgreSQL ANDs with the GIN bitmap before it visits a row, and the bitmap needs
no recheck for plain words, so rows are visited only for matches inside the window and no
vector is read. The first window is sized from the planner's estimate of the word's
matches to hold what is wanted; when it holds fewer, the next is four times wider, up to
the whole archive. The result is exact (the newest ``want`` matches), only the work is
bounded. A word found in a large part of the archive (without filters) is the exception:
there the key walk reads few vectors before it has enough, and GIN would list hundreds of
thousands of matches, so the key is walked. Only the final candidates' vectors are read,
to rank them (``rank``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from . import pgranges

TSQ = "websearch_to_tsquery('english', :q)"
# Reading one row's vector on a key walk costs about as much as listing 25 matches in a
# GIN bitmap (measured at 1M articles: ~14 us against ~0.6 us): walk when the matches M
# are so many that want / density * 25 < M, i.e. M^2 > 25 * want * rows. (With the vector
# in the row, migration i16_toast, a walk reads ~2-3 us a row at 1M, and for the bench's
# common words walk and windows took within 10% of each other: left as it was.)
WALK = 25
# Ranges asked together in one statement hold at most this many times the rows still
# wanted, by the planner's estimate (``_ask``).
ALL = 1.25


@dataclass
class Shape:
    matches: float     # the planner's estimate of the words' matches
    rows: float        # the planner's estimate of the archive's size
    top: int           # the newest id to consider
    ranges: list[pgranges.Range]   # the full-text index's id ranges ([]: one piece)


def shape(conn, query: str, top: int, outlet: int | None = None) -> Shape:
    """The search's estimates; with ``outlet``, ``matches`` are the outlet's (the planner
    multiplies the words' share of the archive by the outlet's)."""
    also = "" if outlet is None else " AND source_id = :outlet"
    plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM articles WHERE "
                             f"search_vector @@ {TSQ}{also}"),
                        {"q": query, "outlet": outlet}).scalar()
    rows, newest, names = conn.execute(text(   # one round trip for the rest
        "SELECT (SELECT reltuples FROM pg_class WHERE oid = 'articles'::regclass), "
        f"(SELECT max(id) FROM articles), ARRAY({pgranges.NAMES})")).one()
    return Shape(matches=max(1.0, plan[0]["Plan"]["Plan Rows"]), rows=max(1.0, rows or 0),
                 top=min(top, newest or 0), ranges=pgranges.covering(names))


def newest(conn, statement: str, params: dict, want: int, floor: int, at: Shape,
           reach: int | None = None, walk: bool = True) -> tuple[list, bool]:
    """The rows of ``statement`` (which has ``{window}``, an id range, and ``ORDER BY a.id
    DESC LIMIT :want``) for the newest ``want`` matches above ``floor``, window by window;
    and whether they are all there is above ``floor``. With ``reach``, windows stop
    growing before they would hold more than ``reach`` matches of the words (by the
    planner's estimate), and the answer may then be short and not final. Bitmap scans
    only (``walk`` False: never walk the key, as for a filter the key does not know): a
    walk of the key would read each row's vector. Each window is asked range by
    range of the index (``pgranges``), newest first, and only for the ids the windows
    before it did not cover."""
    density = at.matches / at.rows
    values = dict(params, want=want)
    if walk and reach is None and density * _listed(at, floor, want / density) > WALK * want / density:
        # a word in a good part of the archive: walking the key newest first finds
        # ``want`` matches after reading about want / density vectors, while GIN would
        # list every match in the ranges it is asked (at 1M articles in one index, a
        # word in 30% of them: 45 ms against 180 ms)
        _plan(conn, walk=True)
        found = conn.execute(text(statement.format(window=pgranges.window(floor, at.top))),
                             values).all()
        return found, len(found) < want
    _plan(conn, walk=False)
    # with filters, how many word matches pass them is unknown: start wider (a filter
    # passing 1 in 6 still finishes in one window), within ``reach``
    span = max(1, int(want / density * (1.5 if reach is None else 6)))
    if reach is not None:
        span = min(span, max(1, int(reach / density)))
    found, done = [], at.top   # ``found``: the newest matches in done < id <= top
    while True:
        lo = max(floor, at.top - span)
        found += _ask(conn, statement, values, want - len(found), lo, done, at.ranges,
                      density=density)
        done = lo
        if len(found) >= want or lo <= floor:
            return found, lo <= floor
        if reach is not None and span * 4 * density > reach:
            return found, False
        span *= 4


def _listed(at: Shape, floor: int, span: float) -> float:
    """How many articles' entries the index lists to find matches in the ``span`` ids
    below ``at.top``: those of every range that window touches (all, in one index)."""
    if not at.ranges:
        return at.rows
    lo = max(floor, at.top - span)
    return sum((at.top if r.hi is None else r.hi) - r.lo
               for r in at.ranges if r.clip(lo, at.top))


def _ask(conn, statement: str, values: dict, want: int, lo: int, hi: int,
         ranges: list[pgranges.Range], density: float | None = None) -> list:
    """The newest ``want`` rows with lo < id <= hi, range by range, newest first.

    Each statement costs its planning and its index look-ups however few rows it finds,
    so after the first range, the ranges expected to hold the rest are asked together in
    one statement, ``(window 2 OR window 3 ...)``: the planner ORs the ranges' own indexes
    (each arm of the OR proves its range's predicate), and the newest rows of those ranges
    are the rows the ranges would give one by one. How many ranges: enough to hold what is
    still wanted at the rate of the ranges asked so far (real matches), but no more than
    the planner's estimate (``density``) says hold ``ALL`` times it. Both bounds are
    needed: the rate alone misleads for a word common only in older articles, the
    estimate alone for words that go together ('energy prices': asking every range at
    once visited every match, 370 ms against 27 ms). At 1M articles, an outlet's search
    for a word in 1 article in 25 (11 ranges): 23-35 ms range by range, 16-25 ms in two
    statements (medians of 9, load ~5)."""
    pieces = [p for p in (r.clip(lo, hi) for r in reversed(ranges)) if p] or [(lo, hi)]
    found: list = []
    k, asked = 0, 0   # pieces done, and the ids they covered
    while k < len(pieces) and len(found) < want:
        group = pieces[k:k + _together(pieces[k:], want - len(found), len(found), asked,
                                       density)]
        window = " OR ".join(f"({pgranges.window(a, b)})" for a, b in group)
        found += conn.execute(text(statement.format(window=f"({window})")),
                              dict(values, want=want - len(found))).all()
        k += len(group)
        asked += sum(b - a for a, b in group)
    return found


def _together(pieces: list[tuple[int, int]], still: int, had: int, asked: int,
              density: float | None) -> int:
    """How many of ``pieces`` to ask in one statement for ``still`` more rows, after
    ``had`` rows from ``asked`` ids (see ``_ask``): 1 for the first range or without an
    estimate."""
    if not asked or density is None or len(pieces) == 1:
        return 1
    need = still / (had / asked) if had else float("inf")   # ids, at the rate so far
    cap = ALL * still / max(density, 1e-12)                  # ids, by the estimate
    n, ids = 0, 0
    for a, b in pieces:
        if n and (ids >= need or ids + (b - a) > cap):
            break
        n, ids = n + 1, ids + (b - a)
    return n


def _plan(conn, *, walk: bool) -> None:
    """The plan's settings for the rest of the transaction (SET LOCAL), in one round trip."""
    on, off = ("on", "off") if walk else ("off", "on")
    settings = {"enable_indexscan": on, "enable_bitmapscan": off, "enable_seqscan": "off",
                "work_mem": "16MB",   # an exact bitmap: no recheck
                # ranges are asked newest first, each as its own statement: no parallel plans
                "max_parallel_workers_per_gather": "0"}
    conn.execute(text("SELECT " + ", ".join(f"set_config('{name}', '{value}', true)"
                                            for name, value in settings.items())))


# The candidates (``:ids``, one array, not 1,000 parameters: 15.5 against 17.8 ms a query,
# median of 32, load 9.5) with their ts_rank: their vectors are read here, and only here.
RANKED = f"SELECT id, ts_rank(search_vector, {TSQ}) AS rank FROM articles WHERE id = ANY(:ids)"


# Snippets: ts_headline parses and stems every word it is given, and that is most of its
# cost (20 snippets of up to 6,000 characters: 5-15 ms at 1M articles). So the start of the
# text is tried first, and the whole only when the start holds no match.
HEADLINE = ("'StartSel=' || chr(2) || ', StopSel=' || chr(3) || "
            "', MaxFragments=2, MaxWords=30'")
FIRST = 1_200     # about 200 words: a lede and more (the page shows 600 characters of lead)


def snippet(text_sql: str, end: int, vector_sql: str = "a.search_vector") -> str:
    """SQL for the snippet of ``text_sql`` (its first ``end`` characters), matched words
    between chr(2) and chr(3): from its first ``FIRST`` characters when they hold a match
    of the whole query (each word of 'security council'), else from the whole as before.
    So a snippet shows matched words exactly when the whole text's did. The text is read
    once (``OFFSET 0`` keeps each sub-select from being folded into its uses).

    The whole is not parsed when the article's stored vector (``vector_sql``) says its
    text cannot match: no match in the text's part of it (weight B: the title's words are
    weight A), and no negated word in the query (a word missing from the text may sit
    past ``end``). ts_headline finds nothing in the whole then, nor in the start, and
    both show the text's first words: the start's snippet is the whole's. (A word found
    in the title only: a page of results for 'war' had 5 such articles in 20.)"""
    first = f"ts_headline('english', left(x.t, {FIRST}), {TSQ}, {HEADLINE})"
    whole = f"ts_headline('english', x.t, {TSQ}, {HEADLINE})"
    text_cannot_match = (f"NOT ts_filter({vector_sql}, '{{b}}') @@ {TSQ} "
                         f"AND strpos(querytree({TSQ}), '!') = 0")
    return (f"(SELECT CASE WHEN strpos(h.first, chr(2)) > 0 OR length(x.t) <= {FIRST} "
            f"OR ({text_cannot_match}) THEN h.first ELSE {whole} END "
            f"FROM (SELECT left({text_sql}, {end}) AS t OFFSET 0) x, "
            f"LATERAL (SELECT {first} AS first OFFSET 0) h)")


def outlets_with(conn, column: str, value: str) -> list[int]:
    """The outlets whose ``column`` (category or language) is ``value``. A search filtered by
    category also asks for ``a.source_id = ANY(these)``, by language for ``a.language = :l
    OR a.source_id = ANY(these)`` (implied by ``coalesce(a.language, s.language) = :l``,
    which stays). The outlet index (``articles_source_id``: outlet, id) and the language
    index (``articles_language``: language, id) answer those for the id window, so
    PostgreSQL ANDs the bitmaps (words, filter, ids) and visits only the rows that pass;
    the filter alone is known only after visiting every word match in the window (at 1M
    articles, 'ceasefire' in 'science': 5,906 rows visited, 252 ms, against 1,204 rows,
    46 ms, load ~10)."""
    assert column in ("category", "language")
    return [r[0] for r in conn.execute(text(f"SELECT id FROM sources WHERE {column} = :v"),
                                       {"v": value})]
