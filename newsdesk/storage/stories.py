"""Writes and reads of the stories stage: assignments, story rows, duplicates, provenance,
signatures, hashtags, related articles, and the saved state of the online clusterer."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterable, Iterator

from sqlalchemy import text

from .articles import as_utc
from .db import Database, in_lists
from .sources import now

STORY_TABLES = ("related", "story_tags", "article_tags", "provenance", "duplicates", "signatures",
                "story_outlets", "article_story", "stories", "thread_tags", "threads", "thread_recent")


def pending_article_ids(db: Database, limit: int, after: int = 0) -> list[int]:
    """Articles the stories stage has not seen yet, oldest first (publication order).

    ``after`` is the processed floor (``advance_floor``): every article with a smaller or
    equal id is known to be processed, so the query reads only the newer ids instead of
    every article of the archive.
    """
    sql = text("""
        SELECT a.id FROM articles a LEFT JOIN article_story s ON s.article_id = a.id
        WHERE a.id > :after AND s.article_id IS NULL
        ORDER BY COALESCE(a.published_at, a.fetched_at), a.id LIMIT :limit""")
    with db.read() as conn:
        return [r[0] for r in conn.execute(sql, {"limit": limit, "after": after})]


def advance_floor(db: Database, floor: int, settled: datetime) -> int:
    """The highest id F >= ``floor`` such that every article with id <= F is processed.

    Only articles fetched before ``settled`` count: on PostgreSQL a transaction holding a
    smaller id may commit after a larger one, so the floor stays behind the newest rows
    until any insert that could still be in flight has had time to commit.
    """
    with db.read() as conn:
        first_pending = conn.execute(text("""
            SELECT min(a.id) FROM articles a LEFT JOIN article_story s ON s.article_id = a.id
            WHERE a.id > :f AND s.article_id IS NULL"""), {"f": floor}).scalar()
        newest = conn.execute(text("SELECT max(id) FROM articles WHERE id > :f AND fetched_at < :t"),
                              {"f": floor, "t": settled}).scalar()
    if newest is None:
        return floor
    if first_pending is not None:
        newest = min(newest, first_pending - 1)
    return max(floor, newest)


def count_pending(db: Database) -> int:
    sql = text("""SELECT count(*) FROM articles a LEFT JOIN article_story s ON s.article_id = a.id
                  WHERE s.article_id IS NULL""")
    with db.read() as conn:
        return int(conn.execute(sql).scalar() or 0)


def has_pending(db: Database, floor: int | None = None) -> bool:
    """Whether any article waits for the stories stage, above ``floor`` (by default the
    stored one): cheap enough for an idle worker to ask every few seconds."""
    if floor is None:
        stored = kv_get(db, "stories:floor")
        floor = int(stored) if stored else 0
    with db.read() as conn:
        return conn.execute(text("""
            SELECT 1 FROM articles a WHERE a.id > :f
            AND NOT EXISTS (SELECT 1 FROM article_story s WHERE s.article_id = a.id) LIMIT 1"""),
            {"f": floor}).first() is not None


def max_ids(db: Database) -> tuple[int, int]:
    """The highest story id and thread id stored (0 when none): the stage's next ids must
    pass them."""
    with db.read() as conn:
        story = conn.execute(text("SELECT max(id) FROM stories")).scalar() or 0
        thread = max(conn.execute(text("SELECT max(id) FROM threads")).scalar() or 0,
                     conn.execute(text("SELECT max(thread_id) FROM stories")).scalar() or 0)
    return int(story), int(thread)


def threads_of(db: Database, story_ids: Iterable[int]) -> dict[int, int | None]:
    """Story id -> its thread, for the given stories."""
    ids = [int(i) for i in story_ids]
    out: dict[int, int | None] = {}
    with db.read() as conn:
        for some in in_lists(ids):
            chunk = ",".join(str(i) for i in some)
            out.update((r[0], r[1]) for r in conn.execute(text(
                f"SELECT id, thread_id FROM stories WHERE id IN ({chunk})")))
    return out


def story_of(conn, article_id: int) -> int | None:
    return conn.execute(text("SELECT story_id FROM article_story WHERE article_id = :a"),
                        {"a": article_id}).scalar()


def is_copy(conn, article_id: int) -> bool:
    """Whether the article is a republished copy of another (it carries its original's tags)."""
    return conn.execute(text("SELECT 1 FROM duplicates WHERE article_id = :a"),
                        {"a": article_id}).first() is not None


def thread_of(conn, story_id: int) -> int | None:
    return conn.execute(text("SELECT thread_id FROM stories WHERE id = :s"), {"s": story_id}).scalar()


def assign(conn, article_id: int, story_id: int, similarity: float, title: str,
           thread_id: int | None = None) -> None:
    """Put an article into a story (made, in ``thread_id``, if it is new)."""
    exists = conn.execute(text("SELECT 1 FROM stories WHERE id = :s"), {"s": story_id}).first()
    if not exists:
        conn.execute(text("INSERT INTO stories (id, title, article_count, outlet_count, updated_at,"
                          " thread_id) VALUES (:s, :t, 0, 0, :n, :th)"),
                     {"s": story_id, "t": title, "n": now(), "th": thread_id})
    conn.execute(text("INSERT INTO article_story (article_id, story_id, similarity) "
                      "VALUES (:a, :s, :sim)"), {"a": article_id, "s": story_id, "sim": similarity})


def story_gained(conn, story_id: int, article_id: int, title: str | None = None,
                 lead: int | None = None) -> None:
    """One article joined ``story_id``: update counts, span and lead from that article
    alone. Recounting the story (``refresh_story``) on every article made a flood of
    10,000 copies quadratic. ``lead``: the article presenting the story (its headline is
    ``title``, its first lines the preview); by default the most similar original."""
    row = conn.execute(text("""
        SELECT a.source_id, COALESCE(a.published_at, a.fetched_at), s.similarity, d.article_id
        FROM articles a JOIN article_story s ON s.article_id = a.id
        LEFT JOIN duplicates d ON d.article_id = a.id WHERE a.id = :a"""), {"a": article_id}).first()
    story = conn.execute(text("""
        SELECT st.first_seen, st.last_seen, st.lead_article_id, m.similarity
        FROM stories st LEFT JOIN article_story m ON m.article_id = st.lead_article_id
        WHERE st.id = :s"""), {"s": story_id}).first()
    source_id, when, similarity, copy = row
    first, last, current, lead_similarity = story
    when, first, last = as_utc(when), as_utc(first), as_utc(last)
    new_outlet = conn.execute(text(
        "INSERT INTO story_outlets (story_id, source_id) VALUES (:s, :o) ON CONFLICT DO NOTHING"),
        {"s": story_id, "o": source_id}).rowcount
    if lead is None:
        lead = current
        if copy is None and (current is None or (similarity or 0.0) > (lead_similarity or 0.0)
                             or ((similarity or 0.0) == (lead_similarity or 0.0)
                                 and article_id < current)):
            lead = article_id
    _update_story(conn, story_id, "article_count = article_count + 1, outlet_count = outlet_count + :o",
                  {"o": 1 if new_outlet else 0, "lead": lead,
                   "f": min(filter(None, (first, when)), default=None),
                   "l": max(filter(None, (last, when)), default=None)}, title)


def refresh_story(conn, story_id: int, title: str | None = None) -> None:
    """Recompute a story's counts, outlets and span from all its members (after a merge)."""
    conn.execute(text("DELETE FROM story_outlets WHERE story_id = :s"), {"s": story_id})
    conn.execute(text("""INSERT INTO story_outlets (story_id, source_id)
                         SELECT DISTINCT :s, a.source_id FROM article_story s
                         JOIN articles a ON a.id = s.article_id WHERE s.story_id = :s"""),
                 {"s": story_id})
    stats = conn.execute(text("""
        SELECT count(*), count(DISTINCT a.source_id),
               min(COALESCE(a.published_at, a.fetched_at)), max(COALESCE(a.published_at, a.fetched_at))
        FROM article_story s JOIN articles a ON a.id = s.article_id WHERE s.story_id = :s"""),
        {"s": story_id}).first()
    lead = conn.execute(text("""
        SELECT s.article_id FROM article_story s LEFT JOIN duplicates d ON d.article_id = s.article_id
        WHERE s.story_id = :s AND d.article_id IS NULL
        ORDER BY s.similarity DESC, s.article_id LIMIT 1"""), {"s": story_id}).scalar()
    _update_story(conn, story_id, "article_count = :n, outlet_count = :o",
                  {"n": stats[0], "o": stats[1], "f": as_utc(stats[2]), "l": as_utc(stats[3]),
                   "lead": lead}, title)


def _update_story(conn, story_id: int, counts_sql: str, values: dict[str, Any],
                  title: str | None) -> None:
    """Write a story's counts (``counts_sql``), span (``:f``, ``:l``) and lead, and its title
    when one is given."""
    title_sql = ""
    if title:
        title_sql, values["t"] = ", title = :t", title
    conn.execute(text(f"""UPDATE stories SET {counts_sql}, first_seen = :f, last_seen = :l,
                         lead_article_id = :lead, updated_at = :u{title_sql} WHERE id = :s"""),
                 dict(values, s=story_id, u=now()))


def merge_story(conn, absorbed: int, into: int) -> None:
    """Move every article of ``absorbed`` into ``into``; leave a redirect for old links."""
    conn.execute(text("UPDATE article_story SET story_id = :i WHERE story_id = :a"),
                 {"i": into, "a": absorbed})
    conn.execute(text("DELETE FROM story_tags WHERE story_id = :a"), {"a": absorbed})
    conn.execute(text("DELETE FROM story_outlets WHERE story_id = :a"), {"a": absorbed})
    conn.execute(text("DELETE FROM stories WHERE id = :a"), {"a": absorbed})
    kv_set(conn, f"stories:merged:{absorbed}", str(into).encode())
    refresh_story(conn, into)


def merged_into(db: Database, story_id: int, kind: str = "stories") -> int | None:
    """Where a story (``kind`` "threads": a thread) merged into another went (for
    redirects), following chains."""
    seen = set()
    target = None
    while story_id not in seen:
        seen.add(story_id)
        value = kv_get(db, f"{kind}:merged:{story_id}")
        if value is None:
            break
        target = story_id = int(value)
    return target


def previous_in_thread(db: Database, story_id: int) -> datetime | None:
    """When the previous story of this one's thread (an earlier story of the same thread)
    last had coverage, to the instant: "what changed since they last spoke"."""
    with db.read() as conn:
        return previous_in_thread_on(conn, story_id, db)


_PREVIOUS_IN_THREAD = ("""
        SELECT max(o.last_seen) FROM stories o JOIN stories me ON me.id = :s
        WHERE o.thread_id = me.thread_id AND o.id <> :s AND o.last_seen < me.first_seen""")


def previous_in_thread_on(conn, story_id: int, db: Database) -> datetime | None:
    """``previous_in_thread`` over an open connection of ``db``."""
    return as_utc(db.fetch(conn, _PREVIOUS_IN_THREAD, {"s": story_id})[0][0])


def set_title(conn, story_id: int, title: str) -> None:
    if title:
        conn.execute(text("UPDATE stories SET title = :t WHERE id = :s"), {"t": title, "s": story_id})


def rename_if(conn, story_id: int, old: str, new: str) -> None:
    """Give a story a new title if it still has ``old`` (its article's headline changed)."""
    conn.execute(text("UPDATE stories SET title = :n WHERE id = :s AND title = :o"),
                 {"n": new, "s": story_id, "o": old})


def save_states(conn, table: str, states: dict[int, bytes | None]) -> None:
    """Saved clusterer state of active stories (``table`` "stories") or threads
    ("threads"); None when one closed (it leaves the partial index of active rows and is
    never loaded again)."""
    assert table in ("stories", "threads")
    if states:
        conn.execute(text(f"UPDATE {table} SET state = :v WHERE id = :s"),
                     [{"v": state, "s": key} for key, state in states.items()])


def active_states(db: Database, table: str) -> list[bytes]:
    """Saved states of the stories (or threads) still active, through the partial index."""
    assert table in ("stories", "threads")
    with db.read() as conn:
        return [bytes(r[0]) for r in conn.execute(text(
            f"SELECT state FROM {table} WHERE state IS NOT NULL ORDER BY id"))]


def save_duplicate(conn, article_id: int, canonical_id: int, overlap: float, kind: str) -> None:
    conn.execute(text("INSERT INTO duplicates (article_id, canonical_id, overlap, kind) "
                      "VALUES (:a, :c, :o, :k)"),
                 {"a": article_id, "c": canonical_id, "o": overlap, "k": kind})


def save_provenance(conn, article_id: int, kind: str, origin_id: int | None, overlap: float) -> None:
    conn.execute(text("INSERT INTO provenance (article_id, kind, origin_id, overlap) "
                      "VALUES (:a, :k, :o, :v)"),
                 {"a": article_id, "k": kind, "o": origin_id, "v": overlap})


def save_signature(conn, article_id: int, signature: bytes) -> None:
    conn.execute(text("INSERT INTO signatures (article_id, minhash) VALUES (:a, :m)"),
                 {"a": article_id, "m": signature})


def replace_signature(conn, article_id: int, signature: bytes) -> None:
    """A revised article's new signature."""
    conn.execute(text("DELETE FROM signatures WHERE article_id = :a"), {"a": article_id})
    save_signature(conn, article_id, signature)


def recent_signatures(db: Database, since: datetime
                      ) -> Iterable[tuple[int, bytes, int | None, datetime]]:
    """(article id, signature, canonical id if a copy, time) for articles newer than ``since``
    (written without COALESCE in the filter so the publication-time index finds them)."""
    sql = text("""
        SELECT g.article_id, g.minhash, d.canonical_id, COALESCE(a.published_at, a.fetched_at)
        FROM signatures g
        JOIN articles a ON a.id = g.article_id LEFT JOIN duplicates d ON d.article_id = g.article_id
        WHERE a.published_at >= :since OR (a.published_at IS NULL AND a.fetched_at >= :since)
        ORDER BY COALESCE(a.published_at, a.fetched_at), a.id""")
    with db.read() as conn:
        for row in conn.execute(sql, {"since": since}):
            yield row[0], bytes(row[1]), row[2], as_utc(row[3])


def replace_tags(conn, table: str, key: str, owner_id: int, tags: Iterable) -> None:
    assert table in ("article_tags", "story_tags") and key in ("article_id", "story_id")
    conn.execute(text(f"DELETE FROM {table} WHERE {key} = :i"), {"i": owner_id})
    rows = [{"i": owner_id, "s": t.slug, "d": t.display.lstrip("#"), "sc": float(t.score)}
            for t in tags]
    if rows:
        conn.execute(text(f"INSERT INTO {table} ({key}, slug, display, score) "
                          "VALUES (:i, :s, :d, :sc)"), rows)


def copy_tags(conn, article_id: int, original_id: int) -> None:
    """A republication's hashtags are its original's."""
    conn.execute(text("DELETE FROM article_tags WHERE article_id = :a"), {"a": article_id})
    conn.execute(text("INSERT INTO article_tags (article_id, slug, display, score) "
                      "SELECT :a, slug, display, score FROM article_tags WHERE article_id = :o"),
                 {"a": article_id, "o": original_id})


def replace_related(conn, article_id: int, items: Iterable) -> None:
    conn.execute(text("DELETE FROM related WHERE article_id = :a"), {"a": article_id})
    rows = [{"a": article_id, "r": int(item.id), "k": rank, "s": float(item.score), "why": item.reason}
            for rank, item in enumerate(items, start=1)]
    if rows:
        conn.execute(text("INSERT INTO related (article_id, related_id, rank, score, reason) "
                          "VALUES (:a, :r, :k, :s, :why)"), rows)


def kv_get(db: Database, key: str) -> bytes | None:
    with db.read() as conn:
        value = conn.execute(text("SELECT value FROM kv WHERE key = :k"), {"k": key}).scalar()
    return bytes(value) if value is not None else None


def kv_set(conn, key: str, value: bytes) -> None:
    conn.execute(text("DELETE FROM kv WHERE key = :k"), {"k": key})
    conn.execute(text("INSERT INTO kv (key, value, updated_at) VALUES (:k, :v, :n)"),
                 {"k": key, "v": value, "n": now()})


def reset(db: Database) -> None:
    """Forget everything the stories stage computed (for a full rebuild)."""
    with db.write() as conn:
        for table in STORY_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("DELETE FROM kv WHERE key LIKE 'stories:%' OR key LIKE 'threads:%' "
                          "OR key = 'tags:background'"))


def story_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(text("SELECT count(*) FROM stories")).scalar() or 0)


@contextmanager
def elected(db: Database, key: int) -> Iterator[bool]:
    """Whether this process holds the advisory lock ``key`` (PostgreSQL), for the block;
    SQLite's single writer makes every process elected."""
    if db.is_sqlite:
        yield True
        return
    with db.engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


def outlet_and_date(conn, article_id: int) -> tuple[int, datetime | None] | None:
    row = conn.execute(text("SELECT source_id, published_at FROM articles WHERE id = :i"),
                       {"i": article_id}).first()
    return None if row is None else (row[0], as_utc(row[1]))


def newest_members(conn, story_id: int, limit: int, besides: int | None = None) -> list[int]:
    return [r[0] for r in conn.execute(text(
        "SELECT article_id FROM article_story WHERE story_id = :s AND article_id <> :a "
        "ORDER BY article_id DESC LIMIT :n"), {"s": story_id, "a": besides or 0, "n": limit})]


def newest_members_tags(conn, story_id: int, members: int) -> list:
    """(article id, slug, display, score) of the tags of a story's newest ``members``."""
    return conn.execute(text("""
        SELECT t.article_id, t.slug, t.display, t.score FROM article_tags t
        WHERE t.article_id IN (SELECT article_id FROM article_story WHERE story_id = :s
                               ORDER BY article_id DESC LIMIT :n)"""),
        {"s": story_id, "n": members}).all()
