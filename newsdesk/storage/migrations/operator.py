"""Migrations of the operator's side (issue 13): what the scheduler and the admin need to
be polite and to show fetch health."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run


def m_i13_retry_after(conn: Connection, dialect: str) -> None:
    """``sources.retry_after``: the time before which the source's server asked us (with
    ``Retry-After`` on a 429 or 503) not to come back. Unlike ``next_check_at``, even a
    manual refresh (``newsdesk fetch ID``, the admin's button) waits for it."""
    run(conn, dialect, "ALTER TABLE sources ADD COLUMN retry_after {ts}")
