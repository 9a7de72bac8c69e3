"""Export and import a whole installation as JSON lines, so it moves between SQLite and
PostgreSQL (or to a new machine) and comes back identical.

    {"format": "newsdesk-export", "version": 1, "schema_version": 10, "tables": [...], ...}
    {"t": "sources", "r": {"id": 1, "url": "...", "created_at": "2024-03-05 10:00:00.000000", ...}}
    ...
    {"end": true, "rows": {"sources": 4, "articles": 484, ...}}

Driven by the database's own table list, not by a list kept here: every table the
migrations created is exported (parents before children, rows in primary-key order), so a
table added by a later migration travels without anyone touching this module. Left out:
``schema_version`` (the header carries it) and SQLite's full-text index (``articles_fts``
and its shadow tables; the importing database rebuilds its own index from the rows).
Generated columns (PostgreSQL's ``search_vector``) are computed again on import.

Values: text, numbers and null as they are; booleans as true/false; binary as
``{"$b64": ...}``; timestamps as text, exactly as SQLite stores them (so an SQLite copy is
the same row by row) or in ISO 8601 UTC from PostgreSQL; the importer turns them into what
the target keeps. Secrets stay home unless asked (``with_secrets``): sessions and password
resets are not exported and password hashes are replaced by an unusable one, so moved
readers log in again after a password reset.

Import is one transaction into a database whose tables are all empty: any error (a
truncated file, a row the schema refuses) rolls everything back and says where.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import IO, Any, Callable, Iterator

from sqlalchemy import column, insert, inspect, table, text
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StorageError
from .db import Database, as_utc

FORMAT, VERSION = "newsdesk-export", 1
SECRET_TABLES = frozenset({"user_sessions", "password_resets"})
SECRET_COLUMNS = {("users", "password_hash"): "!"}  # not a hash: no password matches it
BATCH = 500
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


# ----------------------------------------------------------------- what the schema holds
def exported_tables(conn) -> list[str]:
    """Every table of the database in insert order (parents first), without the ones this
    format leaves out (see the module docstring)."""
    inspector = inspect(conn)
    skip = {"schema_version"}
    if conn.dialect.name == "sqlite":
        virtual = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")]
        names = inspector.get_table_names()
        skip |= set(virtual) | {n for n in names for v in virtual if n.startswith(v + "_")}
        skip |= {n for n in names if n.startswith("sqlite_")}
    ordered = [name for name, _ in inspector.get_sorted_table_and_fkc_names() if name]
    return [name for name in ordered if name not in skip]


def _columns(conn, name: str) -> list[dict[str, Any]]:
    return [c for c in inspect(conn).get_columns(name) if not c.get("computed")]


def _kind(col_type) -> str:
    if isinstance(col_type, sqltypes.DateTime):
        return "time"
    if isinstance(col_type, sqltypes._Binary):
        return "blob"
    if isinstance(col_type, sqltypes.Boolean):
        return "bool"
    return "plain"


def _version(conn) -> int:
    return int(conn.execute(text("SELECT max(version) FROM schema_version")).scalar() or 0)


# ----------------------------------------------------------------- export
def _out(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "blob":
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if kind == "bool":
        return bool(value)
    if kind == "time" and isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    return value


def export(db: Database, out: IO[str], *, with_secrets: bool = False,
           progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Write the whole database to ``out`` as JSON lines; returns rows per table."""
    counts: dict[str, int] = {}
    with db.read() as conn:
        names = exported_tables(conn)
        if not with_secrets:
            names = [n for n in names if n not in SECRET_TABLES]
        header = {"format": FORMAT, "version": VERSION, "schema_version": _version(conn),
                  "dialect": db.dialect, "exported_at": datetime.now(timezone.utc).isoformat(),
                  "with_secrets": with_secrets, "tables": names}
        out.write(json.dumps(header) + "\n")
        for name in names:
            cols = _columns(conn, name)
            kinds = [(c["name"], _kind(c["type"])) for c in cols]
            hide = {col: value for (tbl, col), value in SECRET_COLUMNS.items()
                    if tbl == name and not with_secrets}
            keys = inspect(conn).get_pk_constraint(name).get("constrained_columns") or []
            order = f" ORDER BY {', '.join(_quote(k) for k in keys)}" if keys else ""
            result = conn.execution_options(stream_results=True).exec_driver_sql(
                f"SELECT {', '.join(_quote(c) for c, _ in kinds)} FROM {_quote(name)}{order}")
            n = 0
            for rows in result.partitions(BATCH):
                for row in rows:
                    record = {c: hide.get(c, _out(k, v)) if v is not None else None
                              for (c, k), v in zip(kinds, row)}
                    out.write(json.dumps({"t": name, "r": record}, ensure_ascii=False) + "\n")
                n += len(rows)
                if progress:
                    progress(name, len(rows))
            counts[name] = n
    out.write(json.dumps({"end": True, "rows": counts}) + "\n")
    return counts


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ----------------------------------------------------------------- import
def _converter(kind: str, dialect: str) -> Callable[[Any], Any]:
    if kind == "blob":
        return lambda v: base64.b64decode(v["$b64"]) if isinstance(v, dict) else v
    if kind == "time" and dialect == "postgresql":
        return lambda v: as_utc(v) if isinstance(v, str) else v
    if kind == "time":   # keep SQLite's own text as it was; other spellings become its format
        return lambda v: (v if isinstance(v, str) and len(v) > 10 and v[10] == " "
                          else as_utc(v).replace(tzinfo=None).strftime(SQLITE_TIME))
    return lambda v: v


def _lines(source: IO[str]) -> Iterator[tuple[int, dict]]:
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            if number == 1:
                raise StorageError("not a newsdesk export: the first line is not JSON") from None
            raise StorageError(f"line {number} is not JSON ({exc}); is the file complete?") from None
        if not isinstance(record, dict):
            raise StorageError(f"line {number} is not an export record")
        yield number, record


def import_(db: Database, source: IO[str], *,
            progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Load an export into this (migrated, empty) database in one transaction; returns the
    rows per table. Raises StorageError, leaving the database as it was, on any problem."""
    lines = _lines(source)
    try:
        _, header = next(lines)
    except StopIteration:
        raise StorageError("the file is empty: no export to import") from None
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise StorageError("not a newsdesk export (the first line has no newsdesk-export header)")
    counts: dict[str, int] = {}
    try:
        with db.write() as conn:
            here = _version(conn)
            if int(header.get("schema_version") or 0) > here:
                raise StorageError(f"the export comes from schema version {header['schema_version']}; "
                                   f"this database is at {here}: upgrade newsdesk first")
            known = set(exported_tables(conn)) | SECRET_TABLES
            missing = [t for t in header.get("tables", []) if t not in known]
            if missing:
                raise StorageError(f"this database has no table {missing[0]!r}")
            for name in header.get("tables", []):
                if conn.execute(text(f"SELECT 1 FROM {_quote(name)} LIMIT 1")).first():
                    raise StorageError(f"the database is not empty (table {name!r} has rows): "
                                       "import into a new database")
            counts = _load(conn, db.dialect, lines, progress)
            if db.dialect == "postgresql":
                _reset_sequences(conn, counts)
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", exc)).splitlines()[0][:300]
        raise StorageError(f"import failed, nothing was stored: {detail}") from None
    return counts


def _load(conn, dialect: str, lines, progress) -> dict[str, int]:
    counts: dict[str, int] = {}
    shapes: dict[str, tuple] = {}
    batch: list[dict] = []
    current = None

    def flush() -> None:
        if batch:
            conn.execute(insert(shapes[current][0]), batch)
            if progress:
                progress(current, len(batch))
            batch.clear()

    for number, record in lines:
        if record.get("end"):
            flush()
            expected = {t: n for t, n in (record.get("rows") or {}).items() if n}
            if expected != counts:
                raise StorageError(f"row counts differ from the export's own: {expected} vs {counts}")
            return counts
        name, row = record.get("t"), record.get("r")
        if not isinstance(row, dict) or not isinstance(name, str):
            raise StorageError(f"line {number} is not a row record")
        if name != current:
            flush()
            current = name
            if name not in shapes:
                cols = {c["name"]: _converter(_kind(c["type"]), dialect) for c in _columns(conn, name)}
                shapes[name] = (table(name, *[column(c) for c in cols]), cols)
        converters = shapes[name][1]
        unknown = set(row) - set(converters)
        if unknown:
            raise StorageError(f"line {number}: table {name!r} has no column {sorted(unknown)[0]!r}")
        batch.append({c: (converters[c](row[c]) if row.get(c) is not None else None)
                      for c in converters if c in row})
        counts[name] = counts.get(name, 0) + 1
        if len(batch) >= BATCH:
            flush()
    raise StorageError("the export ends early (no closing line): the file is truncated")


def _reset_sequences(conn, counts: dict[str, int]) -> None:
    """Identity columns continue after the imported ids (PostgreSQL does not move them
    when ids are given)."""
    for name in counts:
        for key in inspect(conn).get_pk_constraint(name).get("constrained_columns") or []:
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": name, "c": key}).scalar()
            if sequence:
                conn.execute(text(f"SELECT setval(:s, (SELECT coalesce(max({_quote(key)}), 0) + 1 "
                                  f"FROM {_quote(name)}), false)"), {"s": sequence})
