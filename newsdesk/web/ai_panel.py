"""The AI features panel: the one place the web layer asks for AI output.

``AIPanel(service)`` is called with the page's article or story dict and returns a view
model the ``ai_block`` macro renders, or None. It only reads cached results (the service
queues what is missing in the background), so a page never waits for a model. Every
sentence it shows links to the stored sentence it comes from (``/articles/{id}#s{n}``).

    {"article": {...summary...} | None,          # article pages: the article itself
     "story": {"id", "title", "docs", "outlets", "summary", "key_points", "timeline",
               "compare", "background", "since", "since_choices"} | None,
     "pending": bool, "provider": "offline"}
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from ..ai.model import Result

log = logging.getLogger(__name__)


def safe_panel(fn, item: dict, **options) -> dict | None:
    """Call the hook; a failing AI stage must never break the page."""
    try:
        result = fn(item, **options)
    except Exception:  # noqa: BLE001 -- the page is worth more than the panel
        log.exception("ai panel failed", extra={"item": item.get("id")})
        return None
    return result if isinstance(result, dict) else None


def cite(citations: list[dict], outlets: dict[str, str] | None = None) -> list[dict]:
    """Citation links: the stored sentence is the link's title, numbered per source."""
    return [{"href": f"/articles/{c['doc']}#s{c['sentence']}", "text": c["text"],
             "label": f"{(outlets or {}).get(str(c['doc']), 'source')} ¶{c['sentence'] + 1}"}
            for c in citations]


def items(result: Result | None, outlets: dict[str, str], rows=None) -> list[dict]:
    if result is None:
        return []
    rows = result.items if rows is None else rows
    return [{"text": i.text, "date": i.date, "outlets": i.outlets,
             "cites": cite([c.__dict__ for c in i.citations], outlets)} for i in rows]


def view(result: Result | None, outlets: dict[str, str]) -> dict | None:
    if result is None:
        return None
    data: dict[str, Any] = {"status": result.status, "note": result.note,
                            "items": items(result, outlets), "provider": result.provider}
    if result.feature == "summary":
        data["key_points"] = items(result, outlets, result.sections.get("key_points", []))
    if result.feature == "timeline":
        entries: dict[str, dict] = {}
        for row in data["items"]:
            entry = entries.setdefault(row["date"] or "undated", {"date": row["date"], "outlets": [],
                                                                  "items": []})
            entry["items"].append(row)
            entry["outlets"] += [o for o in row["outlets"] if o not in entry["outlets"]]
        data["entries"] = [entries[k] for k in sorted(entries)]
    if result.feature == "compare":
        data["outlets"] = _coverage_table(result)
    return data


def _coverage_table(result: Result) -> list[dict]:
    """Per outlet: which claims it reports, omits or contradicts (claim numbers 1-based)."""
    table: list[dict] = []
    outlets = result.meta.get("outlets")
    if not isinstance(outlets, dict):  # e.g. "not enough coverage": only the outlet names
        return table
    for label, row in sorted(outlets.items()):
        table.append({
            "outlet": label,
            "reports": sorted({r["claim"] + 1 for r in row.get("reports", [])}),
            "omits": sorted({int(c) + 1 for c in row.get("omits", [])
                             if isinstance(c, (int, str)) and str(c).isdigit()}),
            "contradicts": [{"claim": r["claim"] + 1, "cue": r.get("cue", ""),
                             "cites": cite([r["citation"]])} for r in row.get("contradicts", [])
                            if isinstance(r, dict) and "claim" in r],
        })
    return table


class AIPanel:
    """The panel over ``newsdesk.ai.service.AIService``."""

    def __init__(self, service):
        self.service = service

    def __call__(self, item: dict, since: date | None = None, previous: date | None = None,
                 last_visit: date | None = None, previous_of: int | None = None) -> dict | None:
        """``previous_of``: a story id whose ``previous_in_thread`` is read here, over the
        same connection as the AI results (instead of ``previous``)."""
        story_id = item.get("story_id") if item.get("kind") == "article" else item.get("id")
        panel: dict[str, Any] = {"article": None, "story": None, "pending": False,
                                 "provider": self.service.provider.identity}
        service = self.service
        requests = []
        if item.get("kind") == "article":
            requests.append(("article", int(item["id"]), service.ARTICLE_FEATURES))
        if story_id:
            requests.append(("story", int(story_id), service.story_features(since)))
        extra = None
        if previous_of:
            from ..storage.stories import previous_in_thread_on
            extra = lambda conn: previous_in_thread_on(conn, int(previous_of), service.db)  # noqa: E731
        found = service.results_many(requests, extra=extra) if requests or extra else []
        if extra is not None:
            previous = found.pop()
        found = iter(found)
        if item.get("kind") == "article":
            summary = service.article_view(next(found))
            outlets = {str(item["id"]): (item.get("outlet") or {}).get("name", "this article")
                       if isinstance(item.get("outlet"), dict) else "this article"}
            panel["article"] = view(summary, outlets)
            panel["pending"] |= summary is None
        if story_id:
            panel["story"] = self._story(int(story_id), since, previous, last_visit,
                                         service.story_view(next(found)))
            panel["pending"] |= panel["story"]["pending"]
        return panel

    def _story(self, story_id: int, since, previous, last_visit, results=None) -> dict:
        if results is None:
            results = self.service.story_panel(story_id, since=since)
        coverage = results["coverage"]  # (id, date, outlet, ...) rows: no texts loaded
        outlets = {row[0]: row[2] for row in coverage}
        days = [datetime.fromisoformat(row[1]).date() for row in coverage]
        first = min(days, default=None)
        choices = []
        if previous:
            choices.append({"label": "since the previous story in this thread", "date": previous})
        if last_visit:
            choices.append({"label": "since your last visit", "date": last_visit})
        if first:
            choices.append({"label": "since the story began", "date": None})
            choices.append({"label": "the last 3 days", "date": max(days) - timedelta(days=3)})
        return {
            "id": story_id, "docs": results["docs"], "outlets": results["outlets"], "since": since,
            "since_choices": choices, "pending": any(results[f] is None for f in
                                                      ("summary", "timeline", "compare", "background")),
            **{f: view(results[f], outlets) for f in ("summary", "timeline", "compare", "background")},
        }
