"""Source commands: add, import-opml, export-opml, sources, fetch, run."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .. import metrics
from ..errors import NewsdeskError
from ..storage import sources as source_store
from .common import app, console, empty_hint
from .timefmt import ago, at, counted


@app.command()
def add(ctx: typer.Context, url: str,
        title: Optional[str] = typer.Option(None, help="Display name (default: the feed's title)."),
        category: Optional[str] = typer.Option(None),
        language: Optional[str] = typer.Option(None, help="ISO 639-1 code, e.g. en."),
        interval: Optional[int] = typer.Option(None, help="Seconds between checks."),
        label: Optional[str] = typer.Option(None, help='Outlet label, e.g. "state-affiliated media".'),
        attribution: Optional[str] = typer.Option(None, help="Credit line shown with each article."),
        full_text: bool = typer.Option(True, "--full-text/--no-full-text",
                                       help="Fetch each article's page for the full text."),
        enabled: bool = typer.Option(True, "--enabled/--disabled")) -> None:
    """Add a source by feed URL, sitemap URL, or a site/article URL (its feed is discovered)."""
    from ..ingest.fetch import Fetcher
    from ..ingest.subscribe import subscribe
    state = ctx.obj
    if interval is not None and interval < state.settings.min_poll_interval:
        raise NewsdeskError(f"--interval must be at least {state.settings.min_poll_interval} s")
    with Fetcher(state.settings) as fetcher:
        sub = subscribe(state.db, fetcher, url, title=title, category=category, language=language,
                        poll_interval=interval, outlet_label=label, attribution=attribution,
                        full_text=full_text, enabled=enabled)
    where = f" (discovered on {sub.discovered_from})" if sub.discovered_from else ""
    console.print(f"added source {sub.source.id}: {sub.source.name} <{sub.source.url}>{where}",
                  highlight=False, soft_wrap=True, markup=False)
    if sub.first_error:
        console.print(f"[yellow]its first fetch failed[/yellow] ({escape(sub.first_error)}); it "
                      f"will be retried {at(sub.retry_at)}", highlight=False, soft_wrap=True)


@app.command()
def update(ctx: typer.Context, source: str,
           title: Optional[str] = typer.Option(None), category: Optional[str] = typer.Option(None),
           language: Optional[str] = typer.Option(None),
           interval: Optional[int] = typer.Option(None, help="Seconds between checks."),
           label: Optional[str] = typer.Option(None, help="Outlet label."),
           attribution: Optional[str] = typer.Option(None),
           full_text: Optional[bool] = typer.Option(None, "--full-text/--no-full-text"),
           enabled: Optional[bool] = typer.Option(None, "--enabled/--disabled")) -> None:
    """Change a source's settings (only the options given)."""
    state = ctx.obj
    if interval is not None and interval < state.settings.min_poll_interval:
        raise NewsdeskError(f"--interval must be at least {state.settings.min_poll_interval} s")
    changes = {k: v for k, v in (("title", title), ("category", category), ("language", language),
                                 ("poll_interval", interval), ("outlet_label", label),
                                 ("attribution", attribution), ("full_text", full_text),
                                 ("enabled", enabled)) if v is not None}
    if not changes:
        raise NewsdeskError("nothing to change: give at least one option (see --help)")
    target = source_store.get_source(state.db, source)
    updated = source_store.update_source(state.db, target.id, **changes)
    console.print(f"source {updated.id} updated: " + ", ".join(f"{k}={v}" for k, v in changes.items()),
                  highlight=False)


@app.command("import-opml")
def import_opml_cmd(ctx: typer.Context, path: Path) -> None:
    """Add every feed of an OPML file (categories kept)."""
    from ..ingest.subscribe import import_opml
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NewsdeskError(f"cannot read {path}: {exc.strerror}") from None
    added, skipped = import_opml(ctx.obj.db, data)
    console.print(f"imported {counted(len(added), 'source')}, skipped {len(skipped)}")
    for reason in skipped:
        console.print(f"  skipped {reason}", highlight=False, markup=False)


@app.command("export-opml")
def export_opml_cmd(ctx: typer.Context, path: Optional[Path] = typer.Argument(None)) -> None:
    """Write all sources as OPML (to PATH, or standard output)."""
    from ..ingest.opml import build_opml
    data = build_opml([s.to_dict() for s in source_store.list_sources(ctx.obj.db)])
    if path:
        path.write_bytes(data)
        console.print(f"wrote {path}")
    else:
        typer.echo(data.decode("utf-8"))


@app.command("sources")
def sources_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json",
                                                                 help="One JSON object per line.")) -> None:
    """List sources with their fetch health."""
    db = ctx.obj.db
    rows = source_store.list_sources(db)
    counts = source_store.article_counts(db)
    if not rows:
        empty_hint(ctx.obj, "sources")
    if as_json:
        for s in rows:
            typer.echo(json.dumps({**s.to_dict(), "articles": counts.get(s.id, 0)}, ensure_ascii=False))
        return
    table = Table("id", "source", "category", "articles", "last success", "errors", "last error",
                  "notes", "next check")
    for s in rows:
        table.add_row(str(s.id), escape(s.title or s.url) + ("" if s.enabled else " [dim](disabled)[/dim]"),
                      escape(s.category or ""), str(counts.get(s.id, 0)), ago(s.last_success_at),
                      f"[red]{s.error_count}[/red]" if s.error_count else "0",
                      escape((s.last_error or "")[:60]), escape((s.fetch_notes or "")[:60]),
                      ago(s.next_check_at))
    console.print(table)


def _resolve(db, refs: list[str]) -> list[int]:
    return [source_store.get_source(db, ref).id for ref in refs]


@app.command()
def fetch(ctx: typer.Context, source: Optional[List[str]] = typer.Argument(None,
          help="Source ids, URLs or titles (default: every enabled source)."),
          due_only: bool = typer.Option(False, "--due", help="Only sources that are due.")) -> None:
    """One pass: refresh the given sources (or all), with a progress bar; then the revision
    checks of young articles that are due."""
    from ..ingest import revisions
    from ..ingest.refresh import Ingest
    from ..ingest.priority import lower_priority
    from ..ingest.scheduler import run_round, worker_name
    state = ctx.obj
    lower_priority(state.settings.ingest_nice)   # first: every thread and process inherits it
    metrics.configure(state.settings.data_dir)
    db = state.db
    only = _resolve(db, source) if source else None
    total = len(only) if only is not None else len(source_store.list_sources(db, enabled_only=True))
    with Ingest.open(state.settings, db) as ingest, _progress() as progress:
        _wire(ingest, state)
        task = progress.add_task("fetching", total=total)
        results = run_round(ingest, worker_name(), only=only, force=not due_only,
                            progress=lambda r: progress.advance(task))
        checks = revisions.run_due(ingest) if only is None else None
    _summarise(results, db, checks)
    if not due_only:
        _explain_skipped(db, only, {r.source_id for r in results})


@app.command()
def run(ctx: typer.Context, idle: float = typer.Option(10.0, help="Seconds to sleep when nothing is due.")) -> None:
    """Poll due sources forever; SIGTERM/Ctrl-C finishes in-flight work and exits."""
    from ..ingest.refresh import Ingest
    from ..ingest.priority import lower_priority
    from ..ingest.scheduler import run_forever, worker_name
    state = ctx.obj
    lower_priority(state.settings.ingest_nice)   # first: every thread and process inherits it
    metrics.configure(state.settings.data_dir)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = worker_name()
    console.print(f"worker {worker} polling {state.settings.effective_database_url.split('@')[-1]}")
    with Ingest.open(state.settings, state.db) as ingest:
        _wire(ingest, state)
        done = run_forever(ingest, worker, stop, idle_seconds=idle, progress=_log_result)
    console.print(f"stopped after {counted(done, 'refresh', 'refreshes')}")


def _wire(ingest, state) -> None:
    """The stages that receive new (and revised) article ids: stories, which hands the
    articles each pass processed on to AI (queued in the background, so ingest never waits
    for it)."""
    from ..ai.service import AIService, AIStage
    from ..stories.features import Enricher
    from ..stories.stage import StoriesStage
    stage = StoriesStage(state.settings, state.db,
                         then=[AIStage(AIService(state.settings, state.db))])
    if state.settings.worker_features:  # per-article work on every worker, in parallel
        ingest.enrich = Enricher(state.settings)
    ingest.on_new_articles.append(stage)
    ingest.on_revised_articles.append(stage.revised)
    ingest.on_idle.append(stage.idle)


def _log_result(result) -> None:
    status = result.status if not result.error else f"error: {result.error}"
    notes = f" ({'; '.join(result.notes)})" if result.notes else ""
    console.print(escape(f"source {result.source_id}: {status}, {len(result.new_ids)} new{notes}"),
                  highlight=False)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=False)


def _explain_skipped(db, only: list[int] | None, done: set[int]) -> None:
    """Say why a source asked for was not refreshed: its server's Retry-After, another
    worker's claim, or being disabled."""
    from ..storage.sources import now
    stamp = now()
    for s in source_store.list_sources(db, enabled_only=only is None):
        if s.id in done or (only is not None and s.id not in only):
            continue
        if s.retry_after and s.retry_after > stamp:
            why = f"its server asked us to wait (Retry-After) until {at(s.retry_after)[3:]}"
        elif s.claimed_until and s.claimed_until > stamp:
            why = f"being refreshed by {s.claimed_by} right now"
        elif not s.enabled:
            why = "disabled (newsdesk update ID --enabled)"
        else:
            why = "not claimed in this pass"
        console.print(f"  [yellow]{s.name}[/yellow] not refreshed: {why}", highlight=False)


def _summarise(results, db, checks=None) -> None:
    new = sum(len(r.new_ids) for r in results)
    revised = sum(len(r.revised_ids) for r in results) + (len(checks.revised) if checks else 0)
    errors = [r for r in results if r.error]
    console.print(f"{counted(len(results), 'source')} refreshed, {counted(new, 'new article')}, "
                  f"{counted(len(errors), 'error')}"
                  + (f"; {counted(revised, 'stored article')} revised" if revised else ""))
    if checks and checks.checked:
        console.print(f"{counted(checks.checked, 'young article')} re-checked: "
                      f"{len(checks.revised)} revised, {checks.gone} gone, "
                      f"{counted(checks.errors, 'error')}")
    names = {s.id: s.name for s in source_store.list_sources(db)}
    for r in errors:
        console.print(f"  [red]{escape(str(names.get(r.source_id, r.source_id)))}[/red]: "
                      f"{escape(r.error)}", highlight=False)
    for r in results:
        for note in r.notes:
            console.print(f"  [yellow]{escape(str(names.get(r.source_id, r.source_id)))}[/yellow]: "
                          f"{escape(note)}", highlight=False)
