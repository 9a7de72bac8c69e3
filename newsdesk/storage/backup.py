"""A consistent copy of the database while the site runs.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page in one
step inside one read transaction. In WAL mode readers never wait for it and writers carry
on (their commits land in the WAL, after the snapshot), so the copy is the database as it
was at one instant. It is written beside the target and renamed into place only once
complete and checked (``PRAGMA quick_check``), so a failed backup leaves no half file.

PostgreSQL: ``pg_dump --format=custom`` (also a consistent snapshot, no locks that stop
readers or writers); restore with ``pg_restore --dbname <url> <file>``. For a move between
engines use ``newsdesk export`` / ``newsdesk import`` (``transfer.py``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ..errors import StorageError
from .db import Database


@dataclass
class BackupResult:
    path: Path
    bytes: int
    articles: int | None = None     # rows in the copy (SQLite), a quick sign it is whole
    method: str = "sqlite backup API"


def backup(db: Database, target: str | Path, *, overwrite: bool = False) -> BackupResult:
    path = Path(target).expanduser()
    if path.exists() and not overwrite:
        raise StorageError(f"{path} exists; choose a new file name (or --overwrite)")
    if not path.parent.is_dir():
        raise StorageError(f"no folder {path.parent}")
    if db.is_sqlite:
        return _sqlite(db, path)
    return _pg_dump(db, path)


def _sqlite(db: Database, path: Path) -> BackupResult:
    source_path = db.engine.url.database
    if not source_path or source_path == ":memory:":
        raise StorageError("an in-memory database cannot be backed up")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        source = sqlite3.connect(source_path, timeout=30)
        try:
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)          # all pages in one step: one consistent snapshot
                check = copy.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise StorageError(f"the copy failed its check: {check}")
                articles = copy.execute("SELECT count(*) FROM articles").fetchone()[0]
            finally:
                copy.close()
        finally:
            source.close()
        os.replace(partial, path)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(f"backup failed: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=path, bytes=path.stat().st_size, articles=articles)


def pg_dump_command(url: str, path: Path) -> tuple[list[str], dict[str, str]]:
    """The pg_dump call for a SQLAlchemy URL, and its environment: the driver name is
    dropped, the password goes in ``PGPASSWORD`` (never on a command line others can
    read), a ``search_path`` option becomes ``--schema``."""
    parts = urlsplit(url)
    env = dict(os.environ)
    netloc = parts.netloc
    if parts.password is not None:
        env["PGPASSWORD"] = parts.password
        netloc = netloc.replace(":" + parts.password + "@", "@", 1)
    schemas = [part.split("=", 1)[1] for opt in parse_qs(parts.query).get("options", [])
               for part in opt.split() if part.startswith("-csearch_path=")]
    plain = urlunsplit((parts.scheme.split("+", 1)[0], netloc, parts.path, "", ""))
    return (["pg_dump", "--format=custom", "--no-owner", f"--file={path}"]
            + [f"--schema={s}" for s in schemas] + [plain]), env


def _pg_dump(db: Database, path: Path) -> BackupResult:
    if shutil.which("pg_dump") is None:
        raise StorageError("pg_dump is not installed: install the PostgreSQL client tools, or "
                           "use 'newsdesk export' for a logical copy")
    url = db.engine.url.render_as_string(hide_password=False)
    partial = path.with_name(path.name + ".partial")
    command, env = pg_dump_command(url, partial)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=24 * 3600)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise StorageError(f"pg_dump failed: {last[:300]}")
    os.replace(partial, path)
    return BackupResult(path=path, bytes=path.stat().st_size, method="pg_dump (custom format)")
