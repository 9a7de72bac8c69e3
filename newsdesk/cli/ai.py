"""``newsdesk ai``: run the AI features on a JSON-lines file of documents and print JSON.

    newsdesk ai summary    --input docs.jsonl
    newsdesk ai timeline   --input docs.jsonl --since 2022-02-20
    newsdesk ai background --input docs.jsonl        # the last line is the current update
    newsdesk ai compare    --input docs.jsonl
    newsdesk ai ask        --input docs.jsonl --question "Who called whom?"

Offline by default; ``--provider openai`` (or ``ai_provider`` in the settings) uses the
configured OpenAI-compatible endpoint, logging each call to ``--log``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..errors import NewsdeskError
from ..settings import Settings

ai_app = typer.Typer(help="AI features (summary, timeline, background, compare, ask) on JSON-lines "
                          "documents; every output sentence is cited.", no_args_is_help=True)

InputOpt = typer.Option(..., "--input", "-i", help="JSON lines: date, outlet, title, text (id optional).")
MinOutletsOpt = typer.Option(2, "--min-outlets", help="Outlets a story needs before summary/compare.")
ProviderOpt = typer.Option(None, "--provider", help="offline or openai (default: from the settings).")
LogOpt = typer.Option(None, "--log", help="JSON-lines log of LLM prompts and responses.")


def _run(feature: str, input_path: Path, provider_name: Optional[str], log: Optional[Path], **params) -> None:
    from ..ai import run
    from ..ai.io import load_jsonl
    from ..ai.provider import get_provider
    try:
        docs = load_jsonl(input_path)
        if feature == "background":
            params["update"] = docs[-1].id
        settings = Settings.load(ai_provider=provider_name)
        provider = get_provider(settings, log_path=log)
        result = run(feature, docs, provider=provider, **params)
    except NewsdeskError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))


@ai_app.command()
def summary(input: Path = InputOpt, sentences: int = typer.Option(4, min=1, max=20),
            min_outlets: int = MinOutletsOpt, provider: Optional[str] = ProviderOpt,
            log: Optional[Path] = LogOpt) -> None:
    """Summary and key points of one article (one line) or of a story (several)."""
    _run("summary", input, provider, log, sentences=sentences, min_outlets=min_outlets)


@ai_app.command()
def timeline(input: Path = InputOpt,
             since: Optional[str] = typer.Option(None, help="Show developments after this date (YYYY-MM-DD)."),
             max_dates: Optional[int] = typer.Option(None, min=1), per_date: int = typer.Option(2, min=1),
             provider: Optional[str] = ProviderOpt, log: Optional[Path] = LogOpt) -> None:
    """What changed since a date: dated developments, new facts only, with their outlets."""
    from ..ai.io import parse_date
    when = None
    if since:
        try:
            when = parse_date(since)
        except ValueError:
            typer.echo(f"error: bad --since date {since!r} (use YYYY-MM-DD)", err=True)
            raise typer.Exit(code=2) from None
    _run("timeline", input, provider, log, since=when, max_dates=max_dates, per_date=per_date)


@ai_app.command()
def background(input: Path = InputOpt, sentences: int = typer.Option(4, min=1, max=20),
               provider: Optional[str] = ProviderOpt, log: Optional[Path] = LogOpt) -> None:
    """Context from earlier coverage for the update on the last line."""
    _run("background", input, provider, log, sentences=sentences)


@ai_app.command()
def compare(input: Path = InputOpt, max_claims: int = typer.Option(8, min=1),
            min_outlets: int = MinOutletsOpt) -> None:
    """Main claims and, per outlet, which it reports, omits or contradicts."""
    _run("compare", input, "offline", None, max_claims=max_claims, min_outlets=min_outlets)


@ai_app.command()
def ask(input: Path = InputOpt, question: str = typer.Option(..., "--question", "-q"),
        provider: Optional[str] = ProviderOpt, log: Optional[Path] = LogOpt) -> None:
    """Answer a question from the documents only, citing the evidence."""
    _run("ask", input, provider, log, question=question)
