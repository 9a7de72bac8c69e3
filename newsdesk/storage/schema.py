"""Table descriptions for SQLAlchemy Core queries.

These mirror what ``migrations/`` creates; the migrations are the source of truth for
the DDL, this module only lets queries be written as readable Core expressions.
Times are stored in UTC and come back timezone-aware on both dialects.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table,
                        Text, TypeDecorator)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC, returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime(timezone=dialect.name == "postgresql"))

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class JSONList(TypeDecorator):
    """A list of strings kept as JSON text (portable across both dialects)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return json.dumps(list(value or []), ensure_ascii=False)

    def process_result_value(self, value, dialect):
        return json.loads(value) if value else []


metadata = MetaData()

sources = Table(
    "sources", metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("kind", String(16), nullable=False, default="feed"),
    Column("site_url", Text),
    Column("title", Text),
    Column("category", Text),
    Column("language", String(16)),
    Column("outlet_label", Text),
    Column("attribution", Text),
    Column("poll_interval", Integer),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("full_text", Boolean, nullable=False, default=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("next_check_at", UTCDateTime),
    Column("last_checked_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("error_count", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("claimed_by", Text),
    Column("claimed_until", UTCDateTime),
    Column("created_at", UTCDateTime),
    Column("retry_after", UTCDateTime),    # the server said: not before then (429/503)
)

articles = Table(
    "articles", metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Column("guid", Text),
    Column("url", Text),
    Column("canonical_url", Text),
    Column("title", Text, nullable=False),
    Column("summary", Text),
    Column("text", Text, nullable=False),
    Column("html", Text),
    Column("authors", JSONList),
    Column("categories", JSONList),
    Column("published_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("language", String(16)),
    Column("lead_image", Text),
    Column("extraction", String(16), nullable=False),
    Column("extraction_note", Text),
    Column("word_count", Integer, nullable=False, default=0),
    Column("content_hash", String(64)),
)

tombstones = Table(
    "tombstones", metadata,
    Column("source_id", Integer, primary_key=True),
    Column("entry_hash", String(64), primary_key=True),
    Column("canonical_url", Text),
    Column("deleted_at", UTCDateTime, nullable=False),
)

fetch_log = Table(
    "fetch_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # ok | not_modified | error
    Column("http_status", Integer),
    Column("new_articles", Integer, nullable=False, default=0),
    Column("error", Text),
)

filtered_entries = Table(     # what a source's filters dropped (migrations/i14_apps.py)
    "filtered_entries", metadata,
    Column("source_id", Integer, primary_key=True),
    Column("entry_hash", String(64), primary_key=True),
    Column("filter_id", Integer),
    Column("reason", Text, nullable=False),
    Column("title", Text),
    Column("url", Text),
    Column("dropped_at", UTCDateTime, nullable=False),
)
