"""``newsdesk config``, ``init`` and ``serve``: the installation's settings, its schema and
its website."""

from __future__ import annotations

import textwrap
from typing import Optional

import typer
from rich.text import Text

from .common import app, console


@app.command()
def config(ctx: typer.Context) -> None:
    """Print the effective settings (secrets masked), each with its environment variable
    and what it does. Any of them can be set in a TOML file (--config) as name = value."""
    for name, value, help_text in ctx.obj.settings.describe():
        console.print(Text.assemble((name, "bold"), " = ", value or '""', "   ",
                                    ("NEWSDESK_" + name.upper(), "dim")))
        for line in textwrap.wrap(help_text, width=max(40, console.width - 4)):
            console.print("    " + line, style="dim", highlight=False, markup=False, soft_wrap=True)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the database (or bring its schema up to date)."""
    from ..storage.migrations import MIGRATIONS
    ctx.obj.db  # opening runs the migrations
    console.print(f"database ready at {ctx.obj.settings.effective_database_url.split('@')[-1]} "
                  f"(schema version {len(MIGRATIONS)})")


@app.command()
def serve(ctx: typer.Context,
          host: Optional[str] = typer.Option(None, help="Address to listen on (default: settings.host)."),
          port: Optional[int] = typer.Option(None, help="Port (default: settings.port).")) -> None:
    """Serve the website, JSON API and feeds."""
    from .serve import serve as run_server
    settings = ctx.obj.settings
    if host or port is not None:
        settings = settings.with_(**{k: v for k, v in (("host", host), ("port", port)) if v is not None})
    console.print(f"serving on http://{settings.host}:{settings.port}/")
    run_server(settings, ctx.obj.db)
