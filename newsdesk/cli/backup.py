"""Backup and moving house: ``backup`` (a consistent copy while the site runs), ``export``
and ``import`` (everything as JSON lines, between SQLite and PostgreSQL)."""

from __future__ import annotations

import gzip
import io
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

import typer

from ..errors import NewsdeskError
from .common import app, console, err_console


@app.command("backup")
def backup_cmd(ctx: typer.Context, path: Path = typer.Argument(..., help="File to write."),
               overwrite: bool = typer.Option(False, "--overwrite", help="Replace PATH if it exists.")) -> None:
    """A consistent copy of the database while the site runs: SQLite's online backup API,
    or pg_dump (custom format; restore with pg_restore) on PostgreSQL."""
    from ..storage.backup import backup
    done = backup(ctx.obj.db, path, overwrite=overwrite)
    rows = f", {done.articles} articles" if done.articles is not None else ""
    console.print(f"backup written to {done.path} ({done.bytes:,} bytes{rows}; {done.method})")


@contextmanager
def _open(path: str, mode: str) -> Iterator[IO[str]]:
    """A text stream: '-' is standard input/output; a name ending in .gz is gzip."""
    if path == "-":
        stream = sys.stdout if "w" in mode else sys.stdin
        yield stream
        return
    try:
        handle = (gzip.open(path, mode + "t", encoding="utf-8") if path.endswith(".gz")
                  else open(path, mode, encoding="utf-8", newline="\n"))
    except OSError as exc:
        raise NewsdeskError(f"cannot open {path}: {exc.strerror}") from None
    with handle:
        yield handle


@app.command("export")
def export_cmd(ctx: typer.Context,
               path: str = typer.Argument("-", help="File to write (.gz compresses; - for stdout)."),
               with_secrets: bool = typer.Option(False, "--with-secrets",
                                                 help="Also export password hashes, sessions "
                                                      "and password resets.")) -> None:
    """Everything in the database as JSON lines (sources with their settings, articles with
    every version, stories, tags, comments, users, follows...): the other half of import."""
    from ..storage.transfer import export
    if path != "-" and Path(path).exists():
        raise NewsdeskError(f"{path} exists; choose a new file name")
    with _open(path, "w") as out:
        counts = export(ctx.obj.db, out, with_secrets=with_secrets)
    if path != "-":
        console.print(f"exported {sum(counts.values()):,} rows of {len(counts)} tables to {path}")
    else:
        err_console.print(f"exported {sum(counts.values()):,} rows of {len(counts)} tables")


@app.command("import")
def import_cmd(ctx: typer.Context,
               path: str = typer.Argument(..., help="An export file (.gz too; - for stdin).")) -> None:
    """Load an export into a new, empty database (created with its schema if needed), in
    one transaction: on any error nothing is stored."""
    from ..storage.transfer import import_
    with _open(path, "r") as source:
        counts = import_(ctx.obj.db, source if path != "-" else io.TextIOWrapper(sys.stdin.buffer, "utf-8"))
    console.print(f"imported {sum(counts.values()):,} rows into {len(counts)} tables")
