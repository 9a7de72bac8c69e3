"""``newsdesk demo``: build a fresh database from the bundled corpus, fetched through the
real pipeline from a local replay server, then serve the site. It ends by printing the
commands that read the demo's database and the ways in as admin."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Optional

import typer

from .. import metrics
from ..storage.db import Database
from .common import app, console, demo_path


@app.command()
def demo(ctx: typer.Context,
         serve: bool = typer.Option(True, "--serve/--no-serve",
                                    help="Start the website afterwards (default) or just build."),
         limit: int = typer.Option(0, min=0, envvar="NEWSDESK_DEMO_LIMIT",
                                   help="Ingest only the newest N articles of each outlet (0: all)."),
         host: Optional[str] = typer.Option(None, help="Address to listen on (default: settings.host)."),
         port: Optional[int] = typer.Option(None, help="Port (default: settings.port, 8000).")) -> None:
    """Build the demo database (bundled articles, replayed on 127.0.0.1) and serve it."""
    from ..demo.build import build_demo
    settings = ctx.obj.settings
    db_option = ""
    if not settings.database_url:  # a fresh file of its own, never the operator's database
        path = demo_path(settings)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        settings = settings.with_(database_url=f"sqlite:///{path}")
        db_option = f"--db {shlex.quote(str(path))} "
    # no allow_private_networks: build_demo allows exactly its replay server's origin
    settings = settings.with_(**{k: v for k, v in (("host", host), ("port", port)) if v is not None})
    metrics.configure(settings.data_dir)
    db = Database.open(settings)
    report = build_demo(settings, db, limit=limit or None, console=console)
    site = f"http://{settings.host}:{settings.port}"
    console.print(f"demo database: {settings.effective_database_url.split('@')[-1]}\n"
                  f"{report.articles} articles from {report.sources} outlets "
                  f"({report.fallbacks} from feed content), {report.stories} stories, "
                  f"{report.errors} fetch errors", highlight=False)
    # soft_wrap: a command stays on one line, to be copied whatever the terminal's width
    console.print(f"The other commands read the demo with {db_option.strip() or 'the same --db'}"
                  f", e.g. [bold]newsdesk {db_option}articles[/bold]", highlight=False, soft_wrap=True)
    if settings.admin_password:
        console.print(f"Admin: log in at {site}/admin/login with NEWSDESK_ADMIN_PASSWORD "
                      "(admin pages and moderation).", highlight=False, soft_wrap=True)
    else:
        console.print(f"Admin: run [bold]newsdesk {db_option}create-admin alice[/bold] and log in "
                      f"at {site}/login, or start the demo with NEWSDESK_ADMIN_PASSWORD set and log "
                      f"in at {site}/admin/login.", highlight=False, soft_wrap=True)
    if serve:
        try:
            from .serve import serve as serve_site
        except ImportError:
            console.print("the website is not installed in this build; data is ready")
            return
        console.print(f"[bold]newsdesk demo site: {site}/[/bold] (Ctrl-C to stop)", highlight=False)
        serve_site(settings, db)
