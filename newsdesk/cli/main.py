"""The ``newsdesk`` command: a thin layer over the library.

Every command gets the one ``Settings`` object from the shared options (``--db``,
``--config``, env vars ``NEWSDESK_*``; ``common.py``). Library errors become one clean
line on stderr and a non-zero exit, never a traceback. The command modules register
their commands on ``common.app`` when imported here, in the order ``--help`` lists them.
"""

from __future__ import annotations

import sys

from rich.markup import escape

from ..errors import NewsdeskError
from . import site, articles, backup, demo, sources, stories  # noqa: F401  (they register)
from .common import app, err_console
from .community import register
from .filters import filter_app


def _register() -> None:
    try:
        from .ai import ai_app
        app.add_typer(ai_app, name="ai", help="AI features over a JSON-lines file of documents.")
    except ImportError:
        pass
    app.add_typer(filter_app, name="filter")
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
