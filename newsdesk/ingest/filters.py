"""Per-source filters: keep-only and block rules, applied to new articles before they are
stored (``refresh_source`` calls ``screen``), and to stored ones on request (``recheck``).

A rule looks at one field and matches in one way:

    field   title | text | author | category | url | any (all of them)
    kind    words   any of the words, whole words, any case      "sponsored advertorial"
            phrase  the words in this order, whole words, any case  "press release"
            regex   a regular expression (``regex`` module syntax; add (?i) to ignore case)
    action  block   drop items the rule matches
            keep    keep only items that some keep rule of the source matches

Block rules win over keep rules. A regular expression runs with a time limit per item
(``filter_regex_timeout``); one that runs out does not match (the item is kept) and the
source's log says so, so a pathological pattern costs milliseconds, not the worker.
Every dropped item is recorded (``storage/source_filters.py``): it is counted and listed
in the source's health, and it is not fetched again until a re-check forgets it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import regex

from ..errors import NewsdeskError
from ..models import Source
from ..settings import Settings
from ..storage import source_filters as store
from ..storage.db import Database

log = logging.getLogger(__name__)

FIELDS = ("title", "text", "author", "category", "url", "any")
KINDS = ("words", "phrase", "regex")
ACTIONS = ("keep", "block")
MAX_PATTERN = 500
MAX_TEXT = 100_000          # characters of one field a rule looks at


class FilterError(NewsdeskError):
    """A rule that cannot be used (unknown field, empty pattern, bad regular expression)."""


@dataclass
class Rule:
    id: int | None
    action: str
    field: str
    kind: str
    pattern: str
    compiled: Any

    def describe(self) -> str:
        return f"{self.action} {self.field} {self.kind} {self.pattern!r}"


def compile_rule(action: str, field: str, kind: str, pattern: str, rule_id: int | None = None) -> Rule:
    """A checked, compiled rule, or ``FilterError`` saying what is wrong."""
    if action not in ACTIONS:
        raise FilterError(f"the action must be {' or '.join(ACTIONS)}, not {action!r}")
    if field not in FIELDS:
        raise FilterError(f"the field must be one of {', '.join(FIELDS)}, not {field!r}")
    if kind not in KINDS:
        raise FilterError(f"the kind must be one of {', '.join(KINDS)}, not {kind!r}")
    pattern = (pattern or "").strip()
    if not pattern:
        raise FilterError("the pattern is empty")
    if len(pattern) > MAX_PATTERN:
        raise FilterError(f"the pattern is longer than {MAX_PATTERN} characters")
    flags = regex.UNICODE | regex.IGNORECASE
    if kind == "words":
        words = pattern.split()
        source = r"\b(?:" + "|".join(regex.escape(w) for w in words) + r")\b"
    elif kind == "phrase":
        source = r"\b" + r"\s+".join(regex.escape(w) for w in pattern.split()) + r"\b"
    else:
        source, flags = pattern, regex.UNICODE
    try:
        compiled = regex.compile(source, flags)
    except regex.error as exc:
        raise FilterError(f"not a valid regular expression: {exc}") from None
    return Rule(rule_id, action, field, kind, pattern, compiled)


def _values(item: dict, field: str) -> str:
    parts = {
        "title": item.get("title") or "",
        "text": item.get("text") or "",
        "author": "\n".join(item.get("authors") or []),
        "category": "\n".join(item.get("categories") or []),
        "url": "\n".join(u for u in (item.get("url"), item.get("canonical_url")) if u),
    }
    if field == "any":
        return "\n".join(parts.values())[:MAX_TEXT]
    return parts[field][:MAX_TEXT]


def _matches(rule: Rule, item: dict, timeout: float, source_id: int) -> bool:
    try:
        return rule.compiled.search(_values(item, rule.field), timeout=timeout) is not None
    except TimeoutError:
        log.warning("filter rule timed out; item kept", extra={"source_id": source_id,
                                                               "rule_id": rule.id})
        return False


def verdict(rules: list[Rule], item: dict, timeout: float, source_id: int = 0) -> tuple[Rule | None, str] | None:
    """None to keep the item, else (the rule that dropped it or None, the reason)."""
    for rule in rules:
        if rule.action == "block" and _matches(rule, item, timeout, source_id):
            return rule, f"blocked: {rule.describe()}"
    keeps = [r for r in rules if r.action == "keep"]
    if keeps and not any(_matches(r, item, timeout, source_id) for r in keeps):
        return None, "no keep rule matched (" + "; ".join(r.describe() for r in keeps) + ")"
    return None


def load_rules(db: Database, source_id: int) -> list[Rule]:
    loaded = []
    for r in store.rules(db, source_id):
        try:
            loaded.append(compile_rule(r["action"], r["field"], r["kind"], r["pattern"], r["id"]))
        except FilterError as exc:   # stored before a rule change; never stop a fetch for it
            log.warning("filter rule skipped: %s", exc, extra={"source_id": source_id, "rule_id": r["id"]})
    return loaded


def _drop(item: dict, found: tuple[Rule | None, str]) -> dict:
    rule, reason = found
    return {"entry_hash": item["entry_hash"], "rule_id": rule.id if rule else None, "reason": reason,
            "title": item.get("title"), "url": item.get("url"), "article_id": item.get("id")}


def screen(db: Database, settings: Settings, source: Source, rows: list[dict]) -> list[dict]:
    """The rows (new articles of ``source``) the source's rules keep; the others are
    recorded as dropped and never stored."""
    if not rows:
        return rows
    rules = load_rules(db, source.id)
    if not rules:
        return rows
    kept, drops = [], []
    for row in rows:
        found = verdict(rules, row, settings.filter_regex_timeout, source.id)
        if found is None:
            kept.append(row)
        else:
            drops.append(_drop(row, found))
    if drops:
        store.log_drops(db, source.id, drops)
        log.info("filtered", extra={"source_id": source.id, "dropped": len(drops)})
    return kept


def add_rule(db: Database, source_id: int, action: str, field: str, kind: str, pattern: str) -> dict:
    rule = compile_rule(action, field, kind, pattern)
    return store.add_rule(db, source_id, rule.action, rule.field, rule.kind, rule.pattern)


def recheck(db: Database, settings: Settings, source_id: int) -> dict[str, int]:
    """Apply the source's current rules to what is stored: articles they reject are removed
    (and recorded as dropped); entries dropped before are forgotten, so the next fetch
    reconsiders them. Returns {"checked", "removed", "forgotten"}."""
    rules = load_rules(db, source_id)
    forgotten = store.forget(db, source_id)
    checked = removed = 0
    for batch in store.stored_articles(db, source_id):
        checked += len(batch)
        drops = [_drop(item, found) for item in batch
                 if (found := verdict(rules, item, settings.filter_regex_timeout, source_id))]
        store.remove_articles(db, source_id, drops)
        removed += len(drops)
    return {"checked": checked, "removed": removed, "forgotten": forgotten}
