"""Stories commands: process pending articles, or rebuild everything from scratch."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..storage import stories as story_store
from .common import app, console
from .timefmt import counted


def _run(ctx: typer.Context, rebuild: bool) -> None:
    from ..stories.stage import StoriesStage
    state = ctx.obj
    stage = StoriesStage(state.settings, state.db)
    total = (story_store.count_pending(state.db) if not rebuild
             else _count_articles(state.db))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("rebuilding stories" if rebuild else "processing", total=total)
        advance = lambda n: progress.advance(task, n)  # noqa: E731
        done = stage.rebuild(advance) if rebuild else stage.process_pending(advance)
    console.print(f"{counted(done, 'article')} processed, "
                  f"{counted(stage.story_count(), 'story', 'stories')}")


def _count_articles(db) -> int:
    from ..storage.articles import count_articles
    return count_articles(db)


@app.command()
def recluster(ctx: typer.Context) -> None:
    """Rebuild duplicates, stories, hashtags and related lists from the whole archive,
    replaying it in publication order through the same online code: the result is the
    online one whenever articles arrived in publication order (an article fetched after
    newer ones, from a feed that was down for a day, was placed online when it arrived and
    is placed by its date in the replay, so its story can differ)."""
    _run(ctx, rebuild=True)


@app.command("process-stories")
def process_stories(ctx: typer.Context) -> None:
    """Run the stories stage on articles it has not seen yet (normally done at ingest)."""
    _run(ctx, rebuild=False)
