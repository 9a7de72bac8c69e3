"""Threads: the ongoing topic that holds a dated sequence of stories (events). Writes of the
stories stage (a thread gains a story or an article, two threads turn out to be one, the
thread clusterer's saved state) and the reads behind the thread page. A thread is titled by
its lead story (most outlets, then most articles): a headline of one of its events, not a
headline that merely sits near the middle of its words."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import text

from ..errors import NotFound
from .articles import as_utc
from .db import Database, in_lists
from .sources import now
from .stories import kv_set, merged_into


# ----------------------------------------------------------------- writes (stories stage)
NAME_TAGS = 3   # hashtags in a thread's name ("#Ukraine #Russia #Zelenskyy")
# a thread's hashtags, first: in most of its articles, then with the highest summed score
# (a tag's score is its rank within an article, 1 for the best); most threads tie on the
# count (90 of the demo's 117), and the name then came from the alphabet (#Holcomb)
TAG_ORDER = "n DESC, weight DESC, slug"


def thread_gained(conn, thread_id: int, story_id: int, when: datetime | None,
                  new_story: bool, tags: Iterable = ()) -> None:
    """One article (with hashtags ``tags``) joined story ``story_id`` of ``thread_id``
    (``new_story``: it started it). The thread's *title* is its lead story's, the one most
    outlets (then most articles) report, kept up to date from the gaining story alone; its
    *name* is its ``NAME_TAGS`` most used hashtags, counted per article and renamed when a
    story starts. Neither rescans the thread."""
    row = conn.execute(text("SELECT first_seen, last_seen, lead_story_id FROM threads WHERE id = :t"),
                       {"t": thread_id}).first()
    if row is None:
        conn.execute(text("""INSERT INTO threads (id, title, first_seen, last_seen, story_count,
                                                  article_count, updated_at)
                             VALUES (:t, '', :w, :w, 0, 0, :n)"""),
                     {"t": thread_id, "w": when, "n": now()})
        row = (when, when, None)
    first, last, lead = as_utc(row[0]), as_utc(row[1]), row[2]
    if lead != story_id and not _outranks(conn, lead, story_id):
        lead = story_id
    rows = [{"t": thread_id, "s": tag.slug, "d": tag.display.lstrip("#"), "w": float(tag.score)}
            for tag in tags]
    if rows:
        conn.execute(text("""INSERT INTO thread_tags (thread_id, slug, display, n, weight)
                             VALUES (:t, :s, :d, 1, :w) ON CONFLICT (thread_id, slug)
                             DO UPDATE SET n = thread_tags.n + 1,
                                           weight = thread_tags.weight + excluded.weight"""), rows)
    conn.execute(text("""UPDATE threads SET article_count = article_count + 1,
                         story_count = story_count + :s, first_seen = :f, last_seen = :l,
                         lead_story_id = :lead, updated_at = :n,
                         title = (SELECT title FROM stories WHERE id = :lead) WHERE id = :t"""),
                 {"s": 1 if new_story else 0, "t": thread_id, "n": now(), "lead": lead,
                  "f": min(filter(None, (first, when)), default=None),
                  "l": max(filter(None, (last, when)), default=None)})
    if new_story or row[2] is None:
        _rename(conn, thread_id)


def _rename(conn, thread_id: int) -> None:
    names = [r[0] for r in conn.execute(text(
        f"SELECT display FROM thread_tags WHERE thread_id = :t ORDER BY {TAG_ORDER} LIMIT :k"),
        {"t": thread_id, "k": NAME_TAGS})]
    conn.execute(text("UPDATE threads SET name = :n WHERE id = :t"),
                 {"n": " ".join("#" + n for n in names) or None, "t": thread_id})


def _outranks(conn, lead: int | None, story_id: int) -> bool:
    """Whether story ``lead`` stays ahead of ``story_id``: more outlets, then more articles;
    the earlier story on a tie."""
    if lead is None:
        return False
    rows = dict((r[0], (r[1], r[2])) for r in conn.execute(text(
        "SELECT id, outlet_count, article_count FROM stories WHERE id IN (:a, :b)"),
        {"a": lead, "b": story_id}))
    if lead not in rows:
        return False
    return rows[lead] >= rows.get(story_id, (0, 0))


def save_recent(conn, rows: list) -> None:
    """Slots of the thread clusterer's ring of recent articles (``lookahead.RecentArticles``:
    slot, article id, thread, term weights, embedding bytes), in the chunk's transaction."""
    for chunk in in_lists([int(r[0]) for r in rows]):
        conn.execute(text("DELETE FROM thread_recent WHERE slot IN (%s)" % ",".join(map(str, chunk))))
    if rows:
        conn.execute(text("INSERT INTO thread_recent (slot, article_id, thread_id, terms, embedding) "
                          "VALUES (:s, :a, :t, :v, :e)"),
                     [{"s": s, "a": a, "t": t, "v": json.dumps(v), "e": e} for s, a, t, v, e in rows])


def recent_rows(db: Database) -> list:
    """The saved ring, as ``save_recent`` takes it."""
    with db.read() as conn:
        return [(s, a, t, json.loads(v), None if e is None else bytes(e)) for s, a, t, v, e in
                conn.execute(text("SELECT slot, article_id, thread_id, terms, embedding "
                                  "FROM thread_recent ORDER BY slot"))]


def merge_thread(conn, absorbed: int, into: int) -> None:
    """Two threads turned out to be one: ``absorbed``'s stories move to ``into``, whose
    counts, span and lead story are recounted; old links are redirected. Either may have no
    row yet: a thread gets one with its first story, and the topic clusterer may merge a
    thread whose articles all joined stories of other threads."""
    conn.execute(text("""INSERT INTO threads (id, title, story_count, article_count, updated_at)
                         VALUES (:i, '', 0, 0, :n) ON CONFLICT (id) DO NOTHING"""),
                 {"i": into, "n": now()})
    conn.execute(text("UPDATE stories SET thread_id = :i WHERE thread_id = :a"),
                 {"i": into, "a": absorbed})
    conn.execute(text("""INSERT INTO thread_tags (thread_id, slug, display, n, weight)
                         SELECT :i, slug, display, n, weight FROM thread_tags WHERE thread_id = :a
                         ON CONFLICT (thread_id, slug) DO UPDATE SET n = thread_tags.n + excluded.n,
                                                                     weight = thread_tags.weight + excluded.weight"""),
                 {"i": into, "a": absorbed})
    conn.execute(text("DELETE FROM thread_tags WHERE thread_id = :a"), {"a": absorbed})
    # a reader's last visit carries over (the earlier of the two: nothing new to them hidden),
    # so "since your last visit" still works where the absorbed thread's links now lead
    conn.execute(text("""INSERT INTO thread_visits (user_id, thread_id, opened_at)
                         SELECT user_id, :i, opened_at FROM thread_visits WHERE thread_id = :a
                         ON CONFLICT (user_id, thread_id) DO UPDATE SET opened_at =
                             CASE WHEN excluded.opened_at < thread_visits.opened_at
                                  THEN excluded.opened_at ELSE thread_visits.opened_at END"""),
                 {"i": into, "a": absorbed})
    conn.execute(text("DELETE FROM thread_visits WHERE thread_id = :a"), {"a": absorbed})
    conn.execute(text("DELETE FROM threads WHERE id = :a"), {"a": absorbed})
    kv_set(conn, f"threads:merged:{absorbed}", str(into).encode())
    _recount(conn, into)


def split_thread(conn, thread_id: int, new_id: int, article_ids: Iterable[int]) -> list[int]:
    """One thread held two topics (``ThreadClusterer._split``): the stories of ``thread_id``
    most of whose original articles are among ``article_ids`` move to the new thread
    ``new_id``. Both threads' counts, span, lead story and hashtags are recounted; a reader
    who had opened the thread has seen the stories that left, so the visit is copied.
    Returns the ids of the stories that moved (maybe none: the stories of the articles that
    left hold more that stayed)."""
    # the row exists even when no story moves: the clusterer's state of the new thread is
    # saved in it (``save_states``), and its next articles' stories will be its own
    conn.execute(text("""INSERT INTO threads (id, title, story_count, article_count, updated_at)
                         VALUES (:i, '', 0, 0, :n) ON CONFLICT (id) DO NOTHING"""),
                 {"i": new_id, "n": now()})
    moved: dict[int, int] = {}
    for chunk in in_lists(sorted({int(a) for a in article_ids})):
        for story_id, n in conn.execute(text(
                "SELECT s.story_id, count(*) FROM article_story s JOIN stories st ON st.id = s.story_id "
                "WHERE st.thread_id = :t AND s.article_id IN (%s) GROUP BY s.story_id"
                % ",".join(map(str, chunk))), {"t": thread_id}):
            moved[story_id] = moved.get(story_id, 0) + n
    if not moved:
        return []
    originals = {sid: n for sid, n in conn.execute(text(
        "SELECT s.story_id, count(*) FROM article_story s LEFT JOIN duplicates d "
        "ON d.article_id = s.article_id WHERE d.article_id IS NULL AND s.story_id IN (%s) "
        "GROUP BY s.story_id" % ",".join(map(str, moved))))}
    stories = sorted(sid for sid, n in moved.items() if 2 * n > originals.get(sid, 0))
    if not stories:
        return []
    conn.execute(text("UPDATE stories SET thread_id = :i WHERE id IN (%s)" % ",".join(map(str, stories))),
                 {"i": new_id})
    # hashtags are counted per original article (``thread_gained``): count both halves anew
    conn.execute(text("DELETE FROM thread_tags WHERE thread_id IN (:a, :b)"), {"a": thread_id, "b": new_id})
    conn.execute(text("""INSERT INTO thread_tags (thread_id, slug, display, n, weight)
                         SELECT st.thread_id, t.slug, min(t.display), count(*), sum(t.score)
                         FROM article_tags t JOIN article_story s ON s.article_id = t.article_id
                         JOIN stories st ON st.id = s.story_id
                         LEFT JOIN duplicates d ON d.article_id = t.article_id
                         WHERE st.thread_id IN (:a, :b) AND d.article_id IS NULL
                         GROUP BY st.thread_id, t.slug"""), {"a": thread_id, "b": new_id})
    conn.execute(text("""INSERT INTO thread_visits (user_id, thread_id, opened_at)
                         SELECT user_id, :b, opened_at FROM thread_visits WHERE thread_id = :a
                         ON CONFLICT (user_id, thread_id) DO NOTHING"""), {"a": thread_id, "b": new_id})
    for tid in (thread_id, new_id):
        _recount(conn, tid)
    return stories


def _recount(conn, thread_id: int) -> None:
    """A thread's counts, span, lead story, title and name, from its stories."""
    stats = conn.execute(text("""SELECT count(*), coalesce(sum(article_count), 0),
                                        min(first_seen), max(last_seen)
                                 FROM stories WHERE thread_id = :i"""), {"i": thread_id}).first()
    lead = conn.execute(text("""SELECT id FROM stories WHERE thread_id = :i
                                ORDER BY outlet_count DESC, article_count DESC, id LIMIT 1"""),
                        {"i": thread_id}).scalar()
    conn.execute(text("""UPDATE threads SET story_count = :s, article_count = :a, first_seen = :f,
                         last_seen = :l, lead_story_id = :lead, updated_at = :n,
                         title = coalesce((SELECT title FROM stories WHERE id = :lead), title)
                         WHERE id = :i"""),
                 {"s": stats[0], "a": stats[1], "f": as_utc(stats[2]), "l": as_utc(stats[3]),
                  "n": now(), "lead": lead, "i": thread_id})
    _rename(conn, thread_id)


def merged_thread(db: Database, thread_id: int) -> int | None:
    """Where a thread merged into another went (for redirects), following chains."""
    return merged_into(db, thread_id, "threads")


# ----------------------------------------------------------------- reads (thread page)
def thread_detail(db: Database, thread_id: int, limit: int = 1000) -> dict[str, Any]:
    """A thread and its stories in date order (oldest first: a timeline), each with its
    lead article's first lines and its outlets."""
    with db.read() as conn:
        found = conn.execute(text("""SELECT id, name, title, first_seen, last_seen, story_count,
                                            article_count FROM threads WHERE id = :t"""),
                             {"t": thread_id}).first()
        if found is None:
            raise NotFound(f"no thread {thread_id}")
        rows = conn.execute(text("""
            SELECT st.id, st.title, st.first_seen, st.last_seen, st.article_count,
                   st.outlet_count, st.lead_article_id, substr(la.text, 1, 600) AS lead
            FROM stories st LEFT JOIN articles la ON la.id = st.lead_article_id
            WHERE st.thread_id = :t ORDER BY st.first_seen, st.id LIMIT :n"""),
                            {"t": thread_id, "n": limit}).all()
        outlets = _story_outlets(conn, [r.id for r in rows])
        tags = conn.execute(text(f"""SELECT slug, display, n FROM thread_tags WHERE thread_id = :t
                                     ORDER BY {TAG_ORDER} LIMIT 12"""), {"t": thread_id}).all()
    thread = dict(found._mapping)
    thread["name"] = thread["name"] or thread["title"]
    thread["tags"] = [{"slug": t[0], "display": t[1], "articles": t[2]} for t in tags]
    for key in ("first_seen", "last_seen"):
        thread[key] = as_utc(thread[key])
    thread["stories"] = [{"id": r.id, "title": r.title, "first_seen": as_utc(r.first_seen),
                          "last_seen": as_utc(r.last_seen), "article_count": r.article_count,
                          "outlet_count": r.outlet_count, "lead_article_id": r.lead_article_id,
                          "lead": r.lead or "", "outlets": outlets.get(r.id, [])} for r in rows]
    return thread


def _story_outlets(conn, story_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not story_ids:
        return out
    ids = ",".join(str(int(i)) for i in story_ids)
    for sid, name in conn.execute(text(f"""
            SELECT DISTINCT o.story_id, coalesce(s.title, s.url) FROM story_outlets o
            JOIN sources s ON s.id = o.source_id WHERE o.story_id IN ({ids})
            ORDER BY 2""")):
        out.setdefault(sid, []).append(name)
    return out


def thread_of_story(conn, story_id: int) -> dict | None:
    """(id, title, story_count) of the thread holding ``story_id``, for the story and article
    pages ("Part of the story ... in the thread ..."): its name, or its lead story's title."""
    row = conn.execute(text("""SELECT t.id, coalesce(t.name, t.title), t.story_count FROM stories st
                               JOIN threads t ON t.id = st.thread_id WHERE st.id = :s"""),
                       {"s": story_id}).first()
    return {"id": row[0], "title": row[1], "story_count": row[2]} if row else None
