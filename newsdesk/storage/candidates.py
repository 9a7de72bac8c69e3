"""The SQL behind related-article candidates (``stories/candidates.py`` keeps the pools'
sizes and how they are ranked): each query reads a bounded slice by an index, never the
archive. Each function runs over the caller's connection (the stories stage's chunk
transaction).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection


def thread_stories(conn: Connection, story_id: int, limit: int) -> list[int]:
    """The newest other stories of the story's thread (index stories (thread_id, first_seen))."""
    return [r[0] for r in conn.execute(text("""
        SELECT o.id FROM stories o JOIN stories me ON me.id = :s
        WHERE o.thread_id = me.thread_id AND o.id <> :s
        ORDER BY o.first_seen DESC, o.id DESC LIMIT :n"""), {"s": story_id, "n": limit})]


def story_slugs(conn: Connection, story_id: int) -> list[str]:
    return [r[0] for r in conn.execute(text("SELECT slug FROM story_tags WHERE story_id = :s"),
                                       {"s": story_id})]


def tag_stories(conn: Connection, slug: str, story_id: int, limit: int) -> list[int]:
    """The newest stories carrying the tag, other than ``story_id`` (index story_tags (slug, story_id))."""
    return [r[0] for r in conn.execute(text(
        "SELECT story_id FROM story_tags WHERE slug = :g AND story_id <> :s "
        "ORDER BY story_id DESC LIMIT :n"), {"g": slug, "s": story_id, "n": limit})]


def pool_members(conn: Connection, pools: list[tuple[int, int]]) -> set[int]:
    """The newest ``n`` members of each (story id, n), a republished copy read as its original."""
    union = " UNION ALL ".join(
        f"SELECT COALESCE(d.canonical_id, p{i}.article_id) FROM (SELECT article_id FROM "
        f"article_story WHERE story_id = :s{i} ORDER BY article_id DESC LIMIT :n{i}) p{i} "
        f"LEFT JOIN duplicates d ON d.article_id = p{i}.article_id" for i in range(len(pools)))
    params = {f"s{i}": sid for i, (sid, _) in enumerate(pools)}
    params.update({f"n{i}": n for i, (_, n) in enumerate(pools)})
    return {r[0] for r in conn.execute(text(union), params)}


def article_rows(conn: Connection, ids) -> list[tuple]:
    """(id, story id, source id, published or fetched, canonical id, thread id) per article."""
    return [tuple(r) for r in _in(conn, """
        SELECT a.id, s.story_id, a.source_id, COALESCE(a.published_at, a.fetched_at), d.canonical_id,
               st.thread_id
        FROM articles a JOIN article_story s ON s.article_id = a.id
        JOIN stories st ON st.id = s.story_id
        LEFT JOIN duplicates d ON d.article_id = a.id WHERE a.id IN ({ids})""", ids)]


def article_tags(conn: Connection, ids) -> list:
    """(article id, slug, display) of these articles' tags, best scored first."""
    return _in(conn, "SELECT article_id, slug, display FROM article_tags "
               "WHERE article_id IN ({ids}) ORDER BY score DESC", ids)


def _in(conn: Connection, sql: str, ids) -> list:
    ids = [int(i) for i in ids]
    if not ids:
        return []
    return conn.execute(text(sql.format(ids=",".join(map(str, ids))))).all()
