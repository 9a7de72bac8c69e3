"""PostgreSQL's full-text index in id ranges, so a common word's newest matches come from
a small index.

One GIN index over every article lists all the matches of a word whatever the id window a
search asks for (a word in 18% of a million articles: 180,000 entries read for a page that
needs its 1,000 newest). So the index is partial, one per range of ``RANGE`` ids::

    articles_search_0_100000        0 < id <= 100000
    articles_search_100000_200000   100000 < id <= 200000
    ...
    articles_search_900000_up       900000 < id              (the tail: new articles)

and a search asks each range, newest first, for the ids of its window that lie in it
(``pgsearch.newest``), with the range's bounds as literals so the planner can use the
range's index. A word's newest matches then come from the index of the newest range,
which lists at most ``RANGE`` articles' matches.

The ranges are read from the catalog (valid indexes named as above) at each search, and
the search uses them only when they cover every id without a gap; otherwise it asks its
windows in one piece (correct, only slower). As articles arrive the tail grows;
``roll`` (a worker chore) closes it when it holds ``RANGE`` ids: it builds the closed
range and the new tail with ``CREATE INDEX CONCURRENTLY`` (no write waits) and only then
drops the old tail, so the ranges cover every id at every moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:   # db.py runs the migrations, which make the ranges
    from .db import Database

RANGE = 100_000
NAME = re.compile(r"articles_search_(\d+)_(\d+|up)$")
VECTOR = "USING GIN (search_vector)"
LOCK = 728463016   # one roller at a time (the migrations hold 728463001)


@dataclass(frozen=True)
class Range:
    """The ids ``lo`` < id <= ``hi`` (``hi`` None: no upper bound, the tail)."""
    lo: int
    hi: int | None

    @property
    def name(self) -> str:
        return f"articles_search_{self.lo}_{'up' if self.hi is None else self.hi}"

    @property
    def predicate(self) -> str:
        """The index's WHERE, in a form no window's SQL repeats (see ``window``)."""
        return f"id > {self.lo}" + ("" if self.hi is None else f" AND id < {self.hi + 1}")

    def clip(self, lo: int, top: int) -> tuple[int, int] | None:
        """The part of lo < id <= top in this range, or None."""
        low, high = max(lo, self.lo), top if self.hi is None else min(top, self.hi)
        return (low, high) if low < high else None


def window(lo: int, hi: int) -> str:
    """SQL for lo < a.id <= hi, ids as literals: the planner uses a range's index only when
    it can prove the window lies in the range, and ANDs the primary key's bitmap of the
    window with it only when no condition of the window equals one of the index's own
    (it then counts that bound as served by the index and drops the key's bitmap, and
    every match of the range is visited). ``a.id >= lo + 1`` proves ``id > lo`` and
    ``a.id <= hi`` proves ``id < hi + 1`` without ever being one of them."""
    return f"a.id >= {int(lo) + 1} AND a.id <= {int(hi)}"


# the names of the valid indexes that may be ranges (a search reads them in its first
# statement: pgsearch.shape)
NAMES = ("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
         "WHERE i.indrelid = 'articles'::regclass AND i.indisvalid AND i.indisready "
         "AND c.relname LIKE 'articles\\_search\\_%'")


def ranges(conn) -> list[Range]:
    """The ranges whose valid indexes cover every id, oldest first; [] when they do not
    (no ranges yet, a gap, a build that failed)."""
    return covering(conn.execute(text(NAMES)).scalars())


def covering(names) -> list[Range]:
    """``ranges`` from the index names ``NAMES`` lists."""
    closed, tails = {}, set()
    for name in names:
        match = NAME.match(name)
        if not match:
            continue
        lo, hi = int(match[1]), match[2]
        if hi == "up":
            tails.add(lo)
        else:
            closed[lo] = max(closed.get(lo, 0), int(hi))
    chain, at, best = [], 0, None
    while True:   # the longest chain of closed ranges from 0 that ends where a tail starts
        if at in tails:
            best = len(chain)
        if at not in closed:
            break
        chain.append(Range(at, closed[at]))
        at = closed[at]
    if best is None:
        return []
    return chain[:best] + [Range(chain[best - 1].hi if best else 0, None)]


def create(conn, *, concurrently: bool = False, mem: str | None = None) -> list[Range]:
    """Index the articles in ranges: a closed range per ``RANGE`` ids up to the newest, then
    the tail. Used by the migration (in its transaction) and by archives loaded in bulk."""
    newest = conn.execute(text("SELECT coalesce(max(id), 0) FROM articles")).scalar()
    if mem:
        conn.execute(text(f"SET LOCAL maintenance_work_mem = '{mem}'"))
    made = [Range(lo, lo + RANGE) for lo in range(0, newest - newest % RANGE, RANGE)]
    made.append(Range(made[-1].hi if made else 0, None))
    for r in made:
        _build(conn, r, concurrently)
    return made


def drop_all(conn) -> None:
    """Drop every range index (and the one-piece index): before a bulk load."""
    conn.execute(text("DROP INDEX IF EXISTS articles_search"))
    for name in conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = "
                                  "'articles' AND schemaname = current_schema() AND "
                                  "indexname LIKE 'articles\\_search\\_%'")).scalars():
        if NAME.match(name):
            conn.execute(text(f'DROP INDEX "{name}"'))


def roll(db: "Database") -> list[Range]:
    """Close the tail when it holds ``RANGE`` ids or more: build the closed range(s) and the
    new tail, then drop the old tail; every step CONCURRENTLY (writers never wait, a crash
    leaves at worst an invalid index, which ``ranges`` ignores and the next roll rebuilds).
    Returns the ranges built. A no-op on SQLite and when the ranges do not cover the ids
    (the migration makes them)."""
    if db.dialect != "postgresql":
        return []
    with db.read() as conn:
        cover = ranges(conn)
        newest = conn.execute(text("SELECT coalesce(max(id), 0) FROM articles")).scalar()
    if not cover or newest < cover[-1].lo + RANGE:
        return []
    tail = cover[-1]
    made = [Range(lo, lo + RANGE) for lo in range(tail.lo, newest - RANGE + 1, RANGE)]
    made.append(Range(made[-1].hi, None))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(text(f"SELECT pg_try_advisory_lock({LOCK})")).scalar():
            return []   # another worker is rolling
        try:
            if ranges(conn) != cover:   # it rolled while we looked
                return []
            for r in made:
                _build(conn, r, True)
            conn.execute(text(f'DROP INDEX CONCURRENTLY IF EXISTS "{tail.name}"'))
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock({LOCK})"))
    return made


def _build(conn, r: Range, concurrently: bool) -> None:
    if concurrently:   # a valid index of this name stays; what a crashed build left goes
        valid = conn.execute(text(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = :n AND c.relnamespace = current_schema()::regnamespace"),
            {"n": r.name}).scalar()
        if valid:
            return
        if valid is not None:
            conn.execute(text(f'DROP INDEX CONCURRENTLY "{r.name}"'))
    how = "CONCURRENTLY " if concurrently else ""
    conn.execute(text(f'CREATE INDEX {how}IF NOT EXISTS "{r.name}" ON articles '
                      f"{VECTOR} WHERE {r.predicate}"))
