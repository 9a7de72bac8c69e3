"""The database handle: one engine, SQLite or PostgreSQL, with the habits each needs.

SQLite runs in WAL mode (readers never block the writer) and every write goes through
one process-wide lock, so there is one writer at a time and no "database is locked"
errors under load (datasette's habit). PostgreSQL needs no such lock: its row locks and
transactions do the coordinating, including ``FOR UPDATE SKIP LOCKED`` claims.

    db = Database.open(settings)          # creates the file, runs pending migrations
    with db.read() as conn: ...           # a connection, no transaction promises
    with db.write() as conn: ...          # one transaction; commit on success
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from ..errors import ConstraintError, StorageError
from ..settings import Settings


class Database:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect.name  # "sqlite" or "postgresql"
        self._write_lock = threading.RLock() if self.is_sqlite else None
        self._watch: sqlite3.Connection | None = None
        self._watch_lock = threading.Lock()

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> "Database":
        return cls.from_url(settings.effective_database_url, migrate=migrate)

    @classmethod
    def from_url(cls, url: str, *, migrate: bool = True) -> "Database":
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        try:
            if url.startswith("sqlite"):
                path = url.split(":///", 1)[1] if ":///" in url else ""
                if path and path != ":memory:":
                    Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                                       poolclass=NullPool if path in ("", ":memory:") else None)
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _sqlite_begin)
            elif url.startswith("postgresql"):
                engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
            else:
                raise StorageError(f"unsupported database URL {url.split(':', 1)[0]!r}: "
                                   "use sqlite:///path or postgresql+psycopg://...")
        except ImportError as exc:
            raise StorageError(f"database driver missing ({exc.name}): "
                               "pip install 'newsdesk[postgres]' for PostgreSQL") from None
        db = cls(engine)
        if migrate:
            from .migrations import migrate as run_migrations
            run_migrations(db)
        return db

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    # ------------------------------------------------------------------ access
    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                if self._write_lock is not None:
                    # SQLite: no explicit BEGIN/ROLLBACK around reads; each statement runs
                    # in its own implicit read transaction and sees everything committed.
                    conn.execution_options(sqlite_begin=None)
                yield conn
        except OperationalError as exc:
            raise StorageError(f"database unavailable: {_short(exc)}") from exc

    @contextmanager
    def write(self) -> Iterator[Connection]:
        lock = self._write_lock
        if lock is not None:
            lock.acquire()
        try:
            with self.engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn:
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise StorageError(f"database write failed: {_short(exc)}") from exc
        finally:
            if lock is not None:
                lock.release()

    def data_version(self) -> int | None:
        """A number that changes whenever anything commits to the database, from this
        process or another (SQLite's ``PRAGMA data_version``, read over a connection kept
        for this alone, so every commit is some *other* connection's). Page caches use it
        to never serve a page older than the data. None on PostgreSQL and in-memory SQLite:
        there, caches rely on their time limit."""
        path = self.engine.url.database if self.is_sqlite else None
        if not path or path == ":memory:":
            return None
        with self._watch_lock:
            try:
                if self._watch is None:
                    self._watch = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
                return self._watch.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as exc:
                raise StorageError(f"database unavailable: {str(exc)[:300]}") from exc

    def close(self) -> None:
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
        self.engine.dispose()

    def fetch(self, conn: Connection, sql: str, params: dict | None = None) -> list:
        """Rows (tuples) of a plain ``:name``-parameter query over ``conn``. On SQLite this
        runs on the driver cursor directly (the hot page queries skip SQLAlchemy's
        per-statement result setup; a ``text()`` query gets the same untyped values)."""
        if self.is_sqlite:
            return sqlite_rows(conn, sql, params)[1]
        return conn.execute(text(sql), params or {}).all()


@contextmanager
def constraints() -> Iterator[None]:
    """Statements run inside raise ``ConstraintError`` where the database refuses a row
    for a constraint (SQLAlchemy's IntegrityError, or the driver's own under ``fetch``)."""
    try:
        yield
    except (IntegrityError, sqlite3.IntegrityError) as exc:
        raise ConstraintError(f"constraint: {_short(exc) if isinstance(exc, SQLAlchemyError) else exc}"
                              ) from exc


IN_LIST = 500   # values per "IN (...)" list: SQLite caps a statement's parameters


def in_lists(values: Sequence[Any], size: int = IN_LIST) -> Iterator[Sequence[Any]]:
    """``values`` in slices of at most ``size``, one "IN (...)" list each."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def as_utc(value: Any) -> datetime | None:
    """A timestamp as aware UTC, whatever form it comes in: read by raw SQL (text on
    SQLite, naive or aware elsewhere), ISO text from a file, or a datetime. A naive value
    is taken as UTC; None stays None. The way back is ``db_time``."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def db_time(dialect: str, when: datetime) -> Any:
    """A timestamp parameter as each dialect stores it: SQLite keeps naive UTC text with
    microseconds (so text order is time order), PostgreSQL an aware value. A naive value
    is taken as UTC."""
    when = as_utc(when)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else when


def sqlite_rows(conn: Connection, sql: str, params: dict | None = None) -> tuple[tuple[str, ...], list]:
    """(column names, rows) of a query run on the SQLite driver cursor under ``conn``."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        rows = cursor.execute(sql, params or {}).fetchall()
        return tuple(d[0] for d in cursor.description or ()), rows
    except sqlite3.OperationalError as exc:
        raise StorageError(f"database unavailable: {str(exc)[:300]}") from exc
    finally:
        cursor.close()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Take over transaction control from pysqlite so writes can BEGIN IMMEDIATE: the
    # write lock is taken at the start, so two processes never both read-then-write.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    if mode is None:  # a read() connection: autocommit reads, nothing to begin or roll back
        return
    conn.exec_driver_sql(f"BEGIN {mode}")


def _short(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0][:300]
