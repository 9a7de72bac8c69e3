"""What every ``newsdesk`` command shares: the Typer ``app`` the command modules register
on, the consoles, the global options (``--db``, ``--config``, ``--verbose``) that build the
one ``Settings`` object, and the lazily opened database (``State``). ``main.py`` imports
the command modules; none of them imports ``main.py``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

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


def empty_hint(state: State, what: str) -> None:
    """When the default database has no ``what`` yet but the demo's has been built beside
    it, say how to read the demo (on stderr: scripts reading stdout see nothing new)."""
    path = demo_path(state.settings)
    if not state.settings.database_url and path.exists():
        err_console.print(f"no {what} in {state.settings.effective_database_url.split('///')[-1]} "
                          f"yet; the demo's are in {path}: newsdesk --db {path} {what}",
                          highlight=False)




def demo_path(settings: Settings) -> Path:
    """Where ``newsdesk demo`` builds its database."""
    return Path(settings.data_dir).expanduser() / "demo.db"
