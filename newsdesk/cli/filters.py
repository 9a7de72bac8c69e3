"""``newsdesk filter``: per-source keep-only and block rules (see ``ingest/filters.py``).

    newsdesk filter add SOURCE --block --field title --words "sponsored advertorial"
    newsdesk filter add SOURCE --keep --field category --phrase "climate change"
    newsdesk filter add SOURCE --block --field url --regex '/(video|podcast)/'
    newsdesk filter list [SOURCE]           rules, with what each dropped
    newsdesk filter remove RULE_ID
    newsdesk filter recheck SOURCE          apply the rules to the stored articles now
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from ..errors import NewsdeskError
from ..storage import source_filters
from ..storage import sources as source_store
from .common import console

filter_app = typer.Typer(help="Per-source keep-only and block rules, applied at ingest.",
                         no_args_is_help=True)


@filter_app.command("add")
def add(ctx: typer.Context, source: str = typer.Argument(..., help="Source id, URL or title."),
        keep: bool = typer.Option(False, "--keep", help="Keep only items some keep rule matches."),
        block: bool = typer.Option(False, "--block", help="Drop items this rule matches."),
        field: str = typer.Option("any", help="title, text, author, category, url or any."),
        words: Optional[str] = typer.Option(None, help="Any of these words (whole words, any case)."),
        phrase: Optional[str] = typer.Option(None, help="These words in this order."),
        regex: Optional[str] = typer.Option(None, "--regex", help="A regular expression "
                                            "(run with a time limit; (?i) ignores case).")) -> None:
    """Add a rule to a source; new articles are screened by it from the next fetch."""
    from ..ingest.filters import add_rule
    if keep == block:
        raise NewsdeskError("choose one of --keep or --block")
    given = [(k, v) for k, v in (("words", words), ("phrase", phrase), ("regex", regex)) if v]
    if len(given) != 1:
        raise NewsdeskError("give exactly one of --words, --phrase or --regex")
    db = ctx.obj.db
    target = source_store.get_source(db, source)
    rule = add_rule(db, target.id, "keep" if keep else "block", field, *given[0])
    console.print(f"rule {rule['id']} added to source {target.id} ({target.name}): "
                  f"{rule['action']} {rule['field']} {rule['kind']} {rule['pattern']!r}. "
                  f"Stored articles are unchanged: `newsdesk filter recheck {target.id}` applies it "
                  "to them.", highlight=False)


@filter_app.command("list")
def list_rules(ctx: typer.Context, source: Optional[str] = typer.Argument(None)) -> None:
    """The rules (of one source, or all), with how many items each dropped."""
    db = ctx.obj.db
    source_id = source_store.get_source(db, source).id if source else None
    names = {s.id: s.name for s in source_store.list_sources(db)}
    held = source_filters.summary(db)
    table = Table("rule", "source", "action", "field", "kind", "pattern", "dropped")
    for r in source_filters.rules(db, source_id):
        table.add_row(str(r["id"]), f"{r['source_id']} {names.get(r['source_id'], '')}", r["action"],
                      r["field"], r["kind"], r["pattern"], str(r["dropped"]))
    console.print(table)
    for sid, info in sorted(held.items()):
        if source_id is None or sid == source_id:
            console.print(f"source {sid} ({names.get(sid, '?')}): {info['dropped']} entries held back "
                          "by its filters now", highlight=False)


@filter_app.command("remove")
def remove(ctx: typer.Context, rule_id: int) -> None:
    """Delete a rule. What it dropped stays dropped until `filter recheck`."""
    if not source_filters.delete_rule(ctx.obj.db, rule_id):
        raise NewsdeskError(f"no filter rule {rule_id}")
    console.print(f"rule {rule_id} removed")


@filter_app.command("recheck")
def recheck(ctx: typer.Context, source: str) -> None:
    """Apply a source's rules to its stored articles now (rejected ones are removed and
    counted); entries dropped earlier are reconsidered at the next fetch."""
    from ..ingest.filters import recheck as run
    db = ctx.obj.db
    target = source_store.get_source(db, source)
    done = run(db, ctx.obj.settings, target.id)
    console.print(f"source {target.id}: checked {done['checked']} stored articles, removed "
                  f"{done['removed']}; {done['forgotten']} entries dropped earlier will be "
                  "reconsidered at the next fetch", highlight=False)
