"""Build the demo database: start the replay server, add its outlets as sources, and
ingest everything through the real fetcher and pipeline (never inserted directly)."""

from __future__ import annotations

from dataclasses import dataclass

from ..ingest.refresh import Ingest
from ..ingest.scheduler import run_round, worker_name
from ..settings import Settings
from ..storage import sources as source_store
from ..storage.db import Database
from .replay import ReplayServer


@dataclass
class DemoReport:
    sources: int
    articles: int
    fallbacks: int
    errors: int
    stories: int


def build_demo(settings: Settings, db: Database, *, limit: int | None = None,
               console=None) -> DemoReport:
    with ReplayServer(limit=limit) as server:
        for spec in server.sources():
            source_store.add_source(
                db, spec["url"], title=spec["title"], site_url=spec.get("site_url"),
                category=spec.get("category"), language=spec.get("language"),
                outlet_label=spec.get("outlet_label"), attribution=spec.get("attribution"))
        with Ingest.open(settings, db) as ingest:
            results = _run(ingest, console)
    # The outlets were fetched one after another, each with weeks of archive: process the
    # stories in publication order once everything is in, as a live feed would deliver it.
    stories = 0
    for stage in _stages(settings, db):
        stage.process_pending()
        stories = stage.story_count()
    return DemoReport(sources=len(results), articles=sum(len(r.new_ids) for r in results),
                      fallbacks=sum(r.fallbacks for r in results),
                      errors=sum(1 for r in results if r.error), stories=stories)


def _stages(settings: Settings, db: Database) -> list:
    try:
        from ..stories.stage import stories_stage
    except ImportError:
        return []
    return [stories_stage(settings, db)]


def _run(ingest: Ingest, console):
    if console is None:
        return run_round(ingest, worker_name(), force=True)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("ingesting the demo outlets through the pipeline", total=None)
        return run_round(ingest, worker_name(), force=True,
                         progress=lambda r: progress.update(
                             task, description=f"source {r.source_id}: {len(r.new_ids)} articles"))
