"""Ordered, transactional schema migrations.

``MIGRATIONS`` is a list; a migration's number is its position (1-based). Each runs in
its own transaction together with the bump of ``schema_version``, so a failure leaves the
database at the previous version. SQL is written once with a few placeholders that each
dialect fills in (``{pk}``, ``{ts}``, ``{blob}``), plus dialect-specific steps where the
engines really differ (full-text search: FTS5 on SQLite, tsvector + GIN on PostgreSQL).

The steps live in ``news.py``, ``community.py`` and one module per later feature
(``operator.py``, ``i14_apps.py``, ``freshness.py``, ...; SQL helpers in ``sql.py``). Never edit a
migration that has shipped: append a new one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .community import m005_community
from .freshness import m_article_revisions, m_websub
from .i11_threads import m009_threads, m_i11_thread_recent, m_i11_thread_tag_weight
from .i12_since import m_i12_thread_visits
from .i14_apps import m101_apps_and_filters
from .i17_hostile import m_i17_believable_dates, m_i17_fetch_notes
from .i16_features import m_i16_article_features
from .i16_lists import m_i16_language_index, m_i16_search_ranges, m_i16_undated_by_outlet
from .i16_toast import m_i16_search_storage
from .i18_security import m009_admin_sessions
from .news import (m001_core, m002_search, m003_stories, m004_ai, m006_front_page_index,
                   m007_search_keys, m008_stories_at_scale)
from .operator import m_i13_retry_after

if TYPE_CHECKING:  # only for annotations: db.Database.open runs the migrations
    from ..db import Database

MIGRATIONS: list[Callable[[Connection, str], None]] = [
    m001_core,
    m002_search,
    m003_stories,
    m004_ai,
    m005_community,
    m006_front_page_index,
    m007_search_keys,
    m008_stories_at_scale,
    m_i13_retry_after,
    m101_apps_and_filters,
    m009_threads,
    m_article_revisions,
    m_websub,
    m_i17_fetch_notes,
    m_i17_believable_dates,
    m009_admin_sessions,
    m_i12_thread_visits,
    m_i16_article_features,
    m_i16_undated_by_outlet,
    m_i16_language_index,
    m_i16_search_ranges,
    m_i11_thread_tag_weight,
    m_i16_search_storage,
    m_i11_thread_recent,
]


def current_version(conn: Connection) -> int:
    conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"))
    row = conn.execute(text("SELECT max(version) FROM schema_version")).scalar()
    return int(row or 0)


def migrate(db: Database) -> list[int]:
    """Apply pending migrations in order; returns the numbers applied."""
    applied: list[int] = []
    with db.write() as conn:
        if db.dialect == "postgresql":
            # Several workers may start at once: serialise migrations on one advisory lock.
            conn.execute(text("SELECT pg_advisory_xact_lock(728463001)"))
        start = current_version(conn)
    for number, migration in enumerate(MIGRATIONS, start=1):
        if number <= start:
            continue
        with db.write() as conn:
            if db.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(728463001)"))
            if current_version(conn) >= number:  # another process got there first
                continue
            migration(conn, db.dialect)
            conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": number})
        applied.append(number)
    return applied
