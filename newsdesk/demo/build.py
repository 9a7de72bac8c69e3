"""Build the demo database: start the replay server, add its outlets as sources, and
ingest everything through the real fetcher and pipeline (never inserted directly). The
fetcher may reach the replay server's origin and nothing else private (``replay_settings``);
the guard is never turned off."""

from __future__ import annotations

from dataclasses import dataclass

from ..ingest.refresh import Ingest
from ..ingest.scheduler import run_round, worker_name
from ..settings import Settings
from ..storage import sources as source_store
from ..storage.db import Database
from ..stories.stage import StoriesStage
from .replay import ReplayServer


@dataclass
class DemoReport:
    sources: int
    articles: int
    fallbacks: int
    errors: int
    stories: int


def replay_settings(settings: Settings, base_url: str) -> Settings:
    """``settings`` with exactly the replay server's origin allowed besides the operator's
    own: the SSRF guard stays on for everything else (LAN, metadata, other local ports)."""
    origins = ",".join(o for o in (settings.allowed_origins.strip(" ,"), base_url) if o)
    return settings.with_(allowed_origins=origins)


def build_demo(settings: Settings, db: Database, *, limit: int | None = None,
               console=None, ai: bool = True) -> DemoReport:
    """Ingest the bundled corpus through the real pipeline, group it into stories and
    (``ai``) precompute the AI panels."""
    with ReplayServer(limit=limit) as server:
        for spec in server.sources():
            source_store.add_source(
                db, spec["url"], title=spec["title"], site_url=spec.get("site_url"),
                category=spec.get("category"), language=spec.get("language"),
                outlet_label=spec.get("outlet_label"), attribution=spec.get("attribution"))
        with Ingest.open(replay_settings(settings, server.base_url), db) as ingest:
            results = _run(ingest, console)
    # The outlets were fetched one after another, each with weeks of archive: process the
    # stories in publication order once everything is in, as a live feed would deliver it.
    stage = StoriesStage(settings, db)
    _step(console, "grouping articles into stories", stage.process_pending)
    if ai:
        _step(console, "preparing the AI features (story panels, article summaries)",
              lambda: _precompute_ai(settings, db))
    stories = stage.story_count()
    return DemoReport(sources=len(results), articles=sum(len(r.new_ids) for r in results),
                      fallbacks=sum(r.fallbacks for r in results),
                      errors=sum(1 for r in results if r.error), stories=stories)


def _step(console, description: str, work) -> None:
    if console is None:
        work()
        return
    with console.status(description + "..."):
        work()
    console.print(f"{description}: done")


def _precompute_ai(settings: Settings, db: Database) -> None:
    from ..ai.service import AIService
    from ..storage.ai_results import precompute_subjects
    ids, articles = precompute_subjects(db)
    service = AIService(settings, db)
    try:
        service.precompute_stories(ids)
        service.precompute_articles(articles)
    finally:
        service.close()


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
