"""``newsdesk demo``: build a fresh database from the bundled corpus, fetched through the
real pipeline from a local replay server, then serve the site."""

from __future__ import annotations

from pathlib import Path

import typer

from ..storage.db import Database
from .main import app, console


@app.command()
def demo(ctx: typer.Context,
         serve: bool = typer.Option(True, "--serve/--no-serve",
                                    help="Start the website afterwards (default) or just build."),
         limit: int = typer.Option(0, help="Ingest only the first N articles (0: all).")) -> None:
    """Build the demo database (bundled articles, replayed on 127.0.0.1) and serve it."""
    from ..demo.build import build_demo
    settings = ctx.obj.settings
    if not settings.database_url:  # a fresh file of its own, never the operator's database
        path = Path(settings.data_dir).expanduser() / "demo.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        settings = settings.with_(database_url=f"sqlite:///{path}")
    db = Database.open(settings)
    report = build_demo(settings, db, limit=limit or None, console=console)
    console.print(f"demo database: {settings.effective_database_url.split('@')[-1]}\n"
                  f"{report.articles} articles from {report.sources} outlets "
                  f"({report.fallbacks} from feed content), {report.stories} stories, "
                  f"{report.errors} fetch errors")
    if serve:
        try:
            from .serve import serve as serve_site
        except ImportError:
            console.print("the website is not installed in this build; data is ready")
            return
        console.print(f"[bold]newsdesk demo site: http://{settings.host}:{settings.port}/[/bold] "
                      "(Ctrl-C to stop)")
        serve_site(settings, db)
