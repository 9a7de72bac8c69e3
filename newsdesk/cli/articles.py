"""Article commands: articles, show, delete, extract."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Iterator, List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import NewsdeskError
from ..storage import articles as article_store
from ..storage import sources as source_store
from .common import app, console, empty_hint
from .timefmt import ago


@app.command("articles")
def articles_cmd(ctx: typer.Context,
                 source: Optional[str] = typer.Option(None, help="Source id, URL or title."),
                 limit: int = typer.Option(30, min=1, max=100000),
                 as_json: bool = typer.Option(False, "--json", help="One JSON object per line.")) -> None:
    """List the newest articles."""
    db = ctx.obj.db
    source_id = source_store.get_source(db, source).id if source else None
    rows = article_store.list_articles(db, source_id=source_id, limit=limit)
    if not rows and source_id is None:
        empty_hint(ctx.obj, "articles")
    if as_json:
        for a in rows:
            typer.echo(json.dumps(_brief(a), ensure_ascii=False))
        return
    names = article_store.source_names(db)
    table = Table("id", "published", "source", "title", "words", "from")
    for a in rows:
        table.add_row(str(a.id), ago(a.published_at), names.get(a.source_id, "?"), a.title[:70],
                      str(a.word_count), a.extraction)
    console.print(table)


def _brief(a) -> dict:
    d = a.to_dict()
    for key in ("text", "html", "summary"):
        d.pop(key, None)
    return d


@app.command()
def show(ctx: typer.Context, article: int,
         as_json: bool = typer.Option(False, "--json", help="The whole article as one JSON line.")) -> None:
    """Show one article: metadata and clean text."""
    a = article_store.get_article(ctx.obj.db, article)
    if as_json:
        typer.echo(json.dumps(a.to_dict(), ensure_ascii=False))
        return
    source = source_store.get_source(ctx.obj.db, a.source_id)
    console.print(f"[bold]{escape(a.title)}[/bold]", highlight=False)  # feed text: no markup
    console.print(f"{source.name}{' · ' + source.outlet_label if source.outlet_label else ''}"
                  f" · {a.published_at.isoformat() if a.published_at else 'undated'}"
                  f"{' · by ' + ', '.join(a.authors) if a.authors else ''}", highlight=False,
                  markup=False)
    console.print(f"{a.url}\nextracted from: {a.extraction}"
                  f"{' (' + a.extraction_note + ')' if a.extraction_note else ''}\n", highlight=False,
                  markup=False)
    console.print(a.text, highlight=False, markup=False)


@app.command()
def delete(ctx: typer.Context, article: int) -> None:
    """Delete an article; a tombstone keeps it from coming back on the next fetch."""
    article_store.delete_article(ctx.obj.db, article)
    console.print(f"deleted article {article}")


@app.command()
def extract(ctx: typer.Context, paths: List[str] = typer.Argument(...,
            help="HTML files, folders of them (.html, .htm, .html.gz) or URLs.")) -> None:
    """Run the pipeline's extraction on pages; prints one JSON line per input."""
    from ..ingest.encoding import decode_html
    from ..ingest.extract import extract_article
    from ..ingest.fetch import Fetcher
    failures = 0
    with Fetcher(ctx.obj.settings) as fetcher:
        for name, loader in _inputs(paths, fetcher):
            try:
                body, charset, url = loader()
                result = extract_article(decode_html(body, charset), url)
                if result is None:
                    raise NewsdeskError("no article text found")
                record = {"input": name, "title": result.title, "text": result.text,
                          "authors": result.authors,
                          "date": result.date.isoformat() if result.date else None,
                          "language": result.language, "canonical_url": result.canonical_url}
            except (NewsdeskError, OSError) as exc:
                failures += 1
                record = {"input": name, "error": str(exc)}
            typer.echo(json.dumps(record, ensure_ascii=False))
    if failures:
        raise typer.Exit(1)


def _inputs(paths: list[str], fetcher) -> Iterator[tuple[str, callable]]:
    for raw in paths:
        if raw.startswith(("http://", "https://")):
            def fetch_url(url=raw):
                page = fetcher.get(url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
                return page.body, page.charset, page.url
            yield raw, fetch_url
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*")
                           if p.name.endswith((".html", ".htm", ".html.gz", ".htm.gz")))
            if not files:
                yield raw, _fail(f"no .html or .html.gz files in {raw}")
            for f in files:
                yield str(f), (lambda f=f: (_read(f), None, None))
        else:
            yield raw, (lambda p=path: (_read(p), None, None))


def _read(path: Path) -> bytes:
    if not path.exists():
        raise NewsdeskError(f"no such file: {path}")
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


def _fail(message: str):
    def raiser():
        raise NewsdeskError(message)
    return raiser
