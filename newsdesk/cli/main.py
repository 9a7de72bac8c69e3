"""The ``newsdesk`` command: a thin layer over the library.

Every command gets the one ``Settings`` object from the shared options (``--db``,
``--config``, env vars ``NEWSDESK_*``). Library errors become one clean line on stderr
and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import logging
import sys
import textwrap
from typing import Optional

import typer
from rich.markup import escape
from rich.console import Console
from rich.text import Text

from ..errors import NewsdeskError
from ..settings import Settings

app = typer.Typer(help="newsdesk: a self-hosted, AI-assisted news aggregator.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False,
                  rich_markup_mode="markdown")
console = Console()
err_console = Console(stderr=True)


class State:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._db = None

    @property
    def db(self):
        if self._db is None:
            from ..storage.db import Database
            self._db = Database.open(self.settings)
        return self._db


@app.callback()
def _options(ctx: typer.Context,
             db: Optional[str] = typer.Option(None, "--db", help="Database URL or SQLite file path "
                                              "(default: NEWSDESK_DATABASE_URL or <data_dir>/newsdesk.db)."),
             config: Optional[str] = typer.Option(None, "--config", help="TOML config file."),
             verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress to stderr.")):
    if db and "://" not in db:
        db = f"sqlite:///{db}"
    settings = Settings.load(config_file=config, database_url=db)
    logging.basicConfig(level=logging.DEBUG if verbose else getattr(logging, settings.log_level),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    if not verbose:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("trafilatura").setLevel(logging.ERROR)
        logging.getLogger("htmldate").setLevel(logging.ERROR)
        logging.getLogger("newsdesk").setLevel(logging.WARNING)
    ctx.obj = State(settings)


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


def empty_hint(state: State, what: str) -> None:
    """When the default database has no ``what`` yet but the demo's has been built beside
    it, say how to read the demo (on stderr: scripts reading stdout see nothing new)."""
    from .demo import demo_path
    path = demo_path(state.settings)
    if not state.settings.database_url and path.exists():
        err_console.print(f"no {what} in {state.settings.effective_database_url.split('///')[-1]} "
                          f"yet; the demo's are in {path}: newsdesk --db {path} {what}",
                          highlight=False)


def _register() -> None:
    from . import articles, backup, demo, sources  # noqa: F401  (commands register themselves)
    try:
        from .ai import ai_app
        app.add_typer(ai_app, name="ai", help="AI features over a JSON-lines file of documents.")
    except ImportError:
        pass
    from . import stories  # noqa: F401
    from .filters import filter_app
    app.add_typer(filter_app, name="filter")
    from .community import register
    register(app)


def main() -> None:
    _register()
    try:
        app()
    except NewsdeskError as exc:
        err_console.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
