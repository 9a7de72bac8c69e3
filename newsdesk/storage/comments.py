"""The SQL of comments (``community/comments.py`` keeps the rules: validation, spam,
who may do what, the order of the checks). Each function runs over the caller's
connection, so a comment and its checks, or a report and the comment's counters, are
written in the caller's one transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from .db import Database, constraints, db_time

SUBJECTS = {"article": "articles", "story": "stories"}   # what may be commented: its table
COLS = """c.id, c.subject_type, c.subject_id, c.parent_id, c.depth, c.user_id, u.username,
    c.body, c.html, c.status, c.spam_score, c.spam_reasons, c.report_count, c.created_at, c.edited_at"""
FROM = "FROM comments c LEFT JOIN users u ON u.id = c.user_id"
INSERT = ("INSERT INTO comments (subject_type, subject_id, parent_id, root_id, depth, user_id, "
          "body, html, status, spam_score, spam_reasons, ip, idempotency_key, created_at) "
          "VALUES (:t, :s, :p, :r, :d, :u, :b, :h, :st, :score, :why, :ip, :k, :now) "
          "RETURNING id")
STORY_COUNTS = (
    "SELECT story_id, sum(n) FROM ("
    " SELECT subject_id AS story_id, count(*) AS n FROM comments WHERE subject_type = 'story'"
    "  AND subject_id IN :ids AND status = 'visible' GROUP BY subject_id"
    " UNION ALL"
    " SELECT ast.story_id, count(*) FROM comments c JOIN article_story ast"
    "  ON ast.article_id = c.subject_id WHERE c.subject_type = 'article'"
    "  AND ast.story_id IN :ids AND c.status = 'visible' GROUP BY ast.story_id"
    ") t GROUP BY story_id")
LIMITED = {"user_id": "u", "ip": "ip"}   # columns a posting limit counts by: their parameter


def _t(conn: Connection, when: datetime):
    return db_time(conn.dialect.name, when)


def _in(statement: str):
    return text(statement).bindparams(bindparam("ids", expanding=True))


# ----------------------------------------------------------------- posting
def lock_author(conn: Connection, user_id: int) -> None:
    """PostgreSQL: serialize this author's posts until the transaction ends (a row lock on
    the user). SQLite's writes are serialised already."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT 1 FROM users WHERE id = :u FOR UPDATE"), {"u": user_id})


def precheck(db: Database, conn: Connection, user_id: int, subject_type: str, subject_id: int, *,
             key: str | None, body: str, since: datetime,
             windows: list[tuple[str, object, list[datetime]]]) -> tuple:
    """Every read check of a new comment in one round trip: the author's status and role,
    the id of a stored repeat (same idempotency ``key``; with no key, the same ``body`` on
    the same subject after ``since``), whether the subject exists (1 or None), then for
    each of ``windows`` -- (column, its value, the start of each window), a column of
    ``LIMITED``; a window list left empty is skipped -- the author's comments in each
    window and the oldest of them, in the order given."""
    params = {"u": user_id, "t": subject_type, "s": subject_id}
    if key:
        params["k"] = key
        repeat = "(SELECT id FROM comments WHERE user_id = :u AND idempotency_key = :k)"
    else:   # no key (an old form, a script): the same text again soon is a repeat
        params["b"] = body
        params["since"] = _t(conn, since)
        repeat = ("(SELECT id FROM comments WHERE user_id = :u AND subject_type = :t AND "
                  "subject_id = :s AND body = :b AND created_at > :since AND status <> 'deleted' "
                  "ORDER BY id LIMIT 1)")
    cols = ["(SELECT status FROM users WHERE id = :u)", "(SELECT role FROM users WHERE id = :u)",
            repeat, f"(SELECT 1 FROM {SUBJECTS[subject_type]} WHERE id = :s)"]
    tables = []
    for n, (column, value, starts) in enumerate(windows):
        name = LIMITED[column]
        params[name] = value
        if not starts:
            continue
        parts = []
        for i, start in enumerate(starts):
            params[f"w{n}_{i}"] = _t(conn, start)
            parts.append(f"sum(CASE WHEN created_at > :w{n}_{i} THEN 1 ELSE 0 END) AS n{i}, "
                         f"min(CASE WHEN created_at > :w{n}_{i} THEN created_at END) AS o{i}")
            cols.append(f"l{n}.n{i}")
            cols.append(f"l{n}.o{i}")
        longest = min(range(len(starts)), key=lambda i: starts[i])
        tables.append(f"(SELECT {', '.join(parts)} FROM comments WHERE {column} = :{name} "
                      f"AND created_at > :w{n}_{longest}) l{n}")
    sql = f"SELECT {', '.join(cols)}"
    if tables:
        sql += " FROM " + " CROSS JOIN ".join(tables)
    return db.fetch(conn, sql, params)[0]


def parent(conn: Connection, comment_id: int):
    """(subject_type, subject_id, root_id, depth, status) of a comment, or None."""
    return conn.execute(text("SELECT subject_type, subject_id, root_id, depth, status "
                             "FROM comments WHERE id = :id"), {"id": comment_id}).first()


def visible_count(conn: Connection, user_id: int) -> int:
    return conn.execute(text("SELECT count(*) FROM comments WHERE user_id = :u "
                             "AND status = 'visible'"), {"u": user_id}).scalar()


def insert(db: Database, conn: Connection, *, subject_type: str, subject_id: int,
           parent_id: int | None, root_id: int | None, depth: int, user_id: int, body: str,
           html: str, status: str, score: float, reasons: str | None, ip: str | None,
           key: str | None, now: datetime) -> int:
    """The new comment's id; ``ConstraintError`` when its idempotency key is taken."""
    with constraints():
        return db.fetch(conn, INSERT, {
            "t": subject_type, "s": subject_id, "p": parent_id, "r": root_id, "d": depth,
            "u": user_id, "b": body, "h": html, "st": status, "score": score, "why": reasons,
            "ip": ip, "k": key, "now": _t(conn, now)})[0][0]


def author(conn: Connection, user_id: int):
    """(status, role) of the user, locked until the transaction ends on PostgreSQL; None
    when there is no such user."""
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    return conn.execute(text(f"SELECT status, role FROM users WHERE id = :u{lock}"),
                        {"u": user_id}).first()


def update(conn: Connection, comment_id: int, body: str, html: str, status: str, score: float,
           now: datetime) -> None:
    conn.execute(text("UPDATE comments SET body = :b, html = :h, status = :st, "
                      "spam_score = :score, edited_at = :now WHERE id = :id"),
                 {"b": body, "h": html, "st": status, "score": score, "now": _t(conn, now),
                  "id": comment_id})


def mark_deleted(conn: Connection, comment_id: int) -> None:
    conn.execute(text("UPDATE comments SET status = 'deleted', body = '', html = '' "
                      "WHERE id = :id"), {"id": comment_id})


def has_reported(conn: Connection, comment_id: int, user_id: int) -> bool:
    return conn.execute(text("SELECT 1 FROM comment_reports WHERE comment_id = :c "
                             "AND user_id = :u"), {"c": comment_id, "u": user_id}).first() is not None


def add_report(conn: Connection, comment_id: int, user_id: int, reason: str, now: datetime,
               threshold: int) -> None:
    """The report, and the comment's count: a visible comment reaching ``threshold``
    reports becomes pending."""
    conn.execute(text("INSERT INTO comment_reports (comment_id, user_id, reason, created_at) "
                      "VALUES (:c, :u, :r, :now)"),
                 {"c": comment_id, "u": user_id, "r": reason, "now": _t(conn, now)})
    conn.execute(text("UPDATE comments SET report_count = report_count + 1, status = CASE "
                      "WHEN status = 'visible' AND report_count + 1 >= :n THEN 'pending' "
                      "ELSE status END WHERE id = :id"), {"n": threshold, "id": comment_id})


# ----------------------------------------------------------------- reading
def get(conn: Connection, comment_id: int):
    """The comment's row (``COLS``), or None."""
    return conn.execute(text(f"SELECT {COLS} {FROM} WHERE c.id = :id"), {"id": comment_id}).first()


def roots(conn: Connection, subject_type: str, subject_id: int, after: int, limit: int) -> list:
    """Top-level comments of the subject after id ``after``, oldest first."""
    return conn.execute(text(f"SELECT {COLS} {FROM} WHERE c.subject_type = :t AND "
                             "c.subject_id = :s AND c.depth = 0 AND c.id > :after "
                             "ORDER BY c.id LIMIT :n"),
                        {"t": subject_type, "s": subject_id, "after": after, "n": limit}).all()


def children(conn: Connection, parent_ids: list[int]) -> list:
    return conn.execute(_in(f"SELECT {COLS} {FROM} WHERE c.parent_id IN :ids ORDER BY c.id"),
                        {"ids": list(parent_ids)}).all()


def reply_counts(conn: Connection, parent_ids: list[int]) -> list:
    """(parent id, replies not deleted) for those of ``parent_ids`` that have any."""
    return conn.execute(_in("SELECT parent_id, count(*) FROM comments WHERE parent_id IN :ids "
                            "AND status <> 'deleted' GROUP BY parent_id"),
                        {"ids": list(parent_ids)}).all()


def counts(conn: Connection, subject_type: str, ids: list[int]) -> dict[int, int]:
    """Visible comments per subject (those with any)."""
    rows = conn.execute(_in("SELECT subject_id, count(*) FROM comments WHERE subject_type = :t "
                            "AND subject_id IN :ids AND status = 'visible' GROUP BY subject_id"),
                        {"t": subject_type, "ids": list(ids)}).all()
    return {int(i): int(n) for i, n in rows}


def story_counts(conn: Connection, story_ids: list[int]) -> dict[int, int]:
    """Visible comments per story, on the story itself and on its articles."""
    rows = conn.execute(_in(STORY_COUNTS), {"ids": list(story_ids)}).all()
    return {int(i): int(n) for i, n in rows}


def subject_title(conn: Connection, subject_type: str, subject_id: int):
    """The commented article's or story's row (``row.title``), or None."""
    return conn.execute(text(f"SELECT title FROM {SUBJECTS[subject_type]} WHERE id = :id"),
                        {"id": subject_id}).first()
