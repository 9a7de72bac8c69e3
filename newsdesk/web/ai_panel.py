"""The AI features panel: the one place the web layer asks for AI output.

``AIPanel(service)`` is called with the page's article or story dict and returns a view
model the ``ai_block`` macro renders, or None. Results are read from the cache; what is
missing is computed on request and awaited for ``ai_page_wait`` seconds (see
``ai/service.py``). What is still running after that is ``pending``: the page says so,
polls ``poll`` (the panel alone, ``/stories/{id}/ai?since=...``) and swaps it in when it
is ready; without JavaScript the page refreshes itself. Every sentence links to the stored
sentence it comes from (``/articles/{id}#s{n}``), and ``authors`` says who wrote each part.

    {"article": {...summary...} | None,          # article pages: the article itself
     "story": {"id", "docs", "outlets", "summary", "timeline", "compare", "background",
               "since", "since_label", "since_choices"} | None,
     "pending": bool, "poll": url | None, "provider": "offline", "authors": [str]}

"Since" choices (a story page and, through ``since_choices``, a thread page): a date
from the picker, the end of the previous story in the thread, the reader's last visit
(an instant), the story's beginning and the last 3 days.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

from ..ai.model import Result

log = logging.getLogger(__name__)

PARTS = (("summary", "summary"), ("timeline", "what changed"), ("compare", "comparison"),
         ("background", "background"))


def safe_panel(fn, item: dict, **options) -> dict | None:
    """Call the hook; a failing AI stage must never break the page."""
    try:
        result = fn(item, **options)
    except Exception:  # noqa: BLE001 -- the page is worth more than the panel
        log.exception("ai panel failed", extra={"item": item.get("id")})
        return None
    return result if isinstance(result, dict) else None


def _since_text(value: date | datetime | None, instant: str, day: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime(instant)
    return value.strftime(day)


def since_param(value: date | datetime | None) -> str:
    """``since`` as it goes in a link: a day, or an instant to the second in UTC ("Z")."""
    return _since_text(value, "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d")


def since_label(value: date | datetime | None) -> str:
    return _since_text(value, "%d %B %Y, %H:%M UTC", "%d %B %Y")


def since_choices(days: list[date], previous: date | datetime | None,
                  last_visit: date | datetime | None, what: str = "story") -> list[dict]:
    """The "since" links of a story (or of a thread, ``what="thread"``: ``days`` of all its
    coverage, ``previous`` the end of the story before its newest). Each carries the last
    visit along (``last=``): a page opened on a choice is part of the same visit, so its
    "since your last visit" is still the visit before."""
    choices = []
    if previous:
        choices.append({"label": "since the previous story in this thread" if what == "story"
                        else "since the previous story", "param": since_param(previous)})
    if last_visit:
        choices.append({"label": "since your last visit", "param": since_param(last_visit),
                        "last_visit": True})
    if days:
        choices.append({"label": f"since the {what} began", "param": ""})
        choices.append({"label": "the last 3 days", "param": since_param(max(days) - timedelta(days=3))})
    keep = {"last": since_param(last_visit)} if last_visit else {}
    for choice in choices:
        params = ({"since": choice["param"]} if choice["param"] else {}) | keep
        choice["query"] = "?" + urlencode(params) if params else "?"
    return choices


def cite(citations: list[dict], outlets: dict[str, str] | None = None) -> list[dict]:
    """Citation links: the stored sentence is the link's title, numbered per source."""
    return [{"href": f"/articles/{c['doc']}#s{c['sentence']}", "text": c["text"],
             "label": f"{(outlets or {}).get(str(c['doc']), 'source')} ¶{c['sentence'] + 1}"}
            for c in citations]


def items(result: Result | None, outlets: dict[str, str], rows=None) -> list[dict]:
    if result is None:
        return []
    rows = result.items if rows is None else rows
    return [{"text": i.text, "date": i.date, "outlets": i.outlets, "origin": i.origin, "check": i.check,
             "update": i.update, "cites": cite([c.__dict__ for c in i.citations], outlets)} for i in rows]


def view(result: Result | None, outlets: dict[str, str], since: date | datetime | None = None) -> dict | None:
    if result is None:
        return None
    note = result.note
    if result.feature == "timeline" and result.status == "empty" and since is not None:
        note = f"Nothing new since {since_label(since)}."   # the reader's own instant
    data: dict[str, Any] = {"status": result.status, "note": note, "items": items(result, outlets),
                            "provider": result.provider, "fallback": bool(result.meta.get("fallback")),
                            "rejected": len(result.sections.get("unsupported", []))}
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


def authors(panel: dict) -> list[str]:
    """Who wrote each part shown: quoted from the outlets, or written by the model and
    checked against the sentences it cites (with how many failed and were replaced)."""
    parts: list[tuple[str, dict]] = []
    if panel.get("article"):
        parts.append(("article summary", panel["article"]))
    story = panel.get("story") or {}
    parts += [(label, story[key]) for key, label in PARTS if story.get(key)]
    quoted = [label for label, part in parts if part["status"] == "ok" and not _model_wrote(part)]
    lines = []
    written = [(label, part) for label, part in parts if part["status"] == "ok" and _model_wrote(part)]
    if written:
        model = written[0][1]["provider"].split(":", 1)[-1]
        failed = sum(part["rejected"] for _, part in written)
        lines.append(f"Written by the model {model} and checked against the sentences each one cites: "
                     f"{', '.join(label for label, _ in written)}."
                     + (f" {failed} model sentence(s) failed the check; the quoted sentence stands in "
                        "their place, marked." if failed else ""))
    if quoted:
        lines.append(f"Quoted word for word from the outlets (no sentence written by anyone else): "
                     f"{', '.join(quoted)}.")
    if any(part.get("fallback") for _, part in parts):
        lines.append("The model could not be used for some parts; they are quoted instead, as their notes say.")
    return lines


def _model_wrote(part: dict) -> bool:
    rows = part["items"] + part.get("key_points", [])
    return any(row["origin"] == "model" for row in rows)


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


def no_store_if_pending(response, panel: dict | None):
    """A page with parts still in progress must not be kept by any cache (ours or the
    browser's): the next look has to see them filled in."""
    if panel and panel.get("pending"):
        response.headers["Cache-Control"] = "no-store"
    return response


def fragment(request, panel: dict | None, what: str, ident: int):
    """The panel alone, as the page shows it: what the page's script swaps in."""
    response = request.app.state.renderer.page(request, "ai_fragment.html", {
        "ai": panel, "what": what, "ask_url": f"/{what}s/{ident}/ask", "subject_id": ident})
    return no_store_if_pending(response, panel)


class AIPanel:
    """The panel over ``newsdesk.ai.service.AIService``."""

    def __init__(self, service, wait: float | None = None):
        self.service = service
        self.wait = service.settings.ai_page_wait if wait is None else wait

    def __call__(self, item: dict, since: date | datetime | None = None, previous: datetime | None = None,
                 last_visit: datetime | None = None, previous_of: int | None = None) -> dict | None:
        """``previous_of``: a story id whose ``previous_in_thread`` is read here, over the
        same connection as the AI results (instead of ``previous``)."""
        is_article = item.get("kind") == "article"
        story_id = item.get("story_id") if is_article else item.get("id")
        panel: dict[str, Any] = {"article": None, "story": None, "pending": False, "poll": None,
                                 "provider": self.service.provider.identity}
        service = self.service
        requests = []
        if is_article:
            requests.append(("article", int(item["id"]), service.ARTICLE_FEATURES))
        if story_id:
            requests.append(("story", int(story_id), service.story_features(since)))
        extra = None
        if previous_of:
            from ..storage.stories import previous_in_thread_on
            extra = lambda conn: previous_in_thread_on(conn, int(previous_of), service.db)  # noqa: E731
        found = service.results_many(requests, wait=self.wait, extra=extra) if requests or extra else []
        if extra is not None:
            previous = found.pop()
        found = iter(found)
        if is_article:
            summary = service.article_view(next(found))
            outlets = {str(item["id"]): (item.get("outlet") or {}).get("name", "this article")
                       if isinstance(item.get("outlet"), dict) else "this article"}
            panel["article"] = view(summary, outlets)
            panel["pending"] |= summary is None
        if story_id:
            panel["story"] = self._story(int(story_id), since, previous, last_visit,
                                         service.story_view(next(found)))
            panel["pending"] |= panel["story"]["pending"]
        if panel["pending"]:
            base = f"/articles/{item['id']}/ai" if is_article else f"/stories/{story_id}/ai"
            panel["poll"] = base + (f"?since={quote(since_param(since))}" if since else "")
        panel["authors"] = authors(panel)
        return panel

    def thread(self, thread_id: int, story_ids: list[int], since: date | datetime | None = None,
               previous: datetime | None = None, last_visit: datetime | None = None,
               articles: int | None = None) -> dict | None:
        """A thread page's panel: what changed across its stories (read as one, the newest
        ``MAX_STORIES_DOCS`` articles) since the reader's choice, through the same
        ``since_timeline`` as a story page, within the same page budget and polled at
        ``/threads/{id}/ai``. The timeline sits under ``panel["thread"]``; ``reads_from``
        says where the read coverage starts when the thread has more than its ``articles``."""
        if not story_ids:
            return None
        timeline, coverage = self.service.since_timeline(story_ids, since, wait=self.wait)
        outlets = {row[0]: row[2] for row in coverage}
        days = [datetime.fromisoformat(row[1]).date() for row in coverage]
        part = {"id": thread_id, "docs": len(coverage), "outlets": len(set(outlets.values())),
                "since": since, "since_param": since_param(since), "since_label": since_label(since),
                "since_choices": since_choices(days, previous, last_visit, "thread"),
                "timeline": view(timeline, outlets, since),
                "reads_from": min(days) if days and articles and articles > len(coverage) else None}
        panel: dict[str, Any] = {"article": None, "story": None, "thread": part, "pending": timeline is None,
                                 "poll": None, "provider": self.service.provider.identity,
                                 "authors": authors({"story": {"timeline": part["timeline"]}})}
        if panel["pending"]:
            params = {"since": since_param(since), "last": since_param(last_visit)}
            query = urlencode({k: v for k, v in params.items() if v})
            panel["poll"] = f"/threads/{thread_id}/ai" + (f"?{query}" if query else "")
        return panel

    def _story(self, story_id: int, since, previous, last_visit, results: dict) -> dict:
        coverage = results["coverage"]  # (id, date, outlet, ...) rows: no texts loaded
        outlets = {row[0]: row[2] for row in coverage}
        days = [datetime.fromisoformat(row[1]).date() for row in coverage]
        return {
            "id": story_id, "docs": results["docs"], "outlets": results["outlets"], "since": since,
            "since_param": since_param(since), "since_label": since_label(since),
            "since_choices": since_choices(days, previous, last_visit),
            "pending": any(results[f] is None for f, _ in PARTS),
            **{f: view(results[f], outlets, since if f == "timeline" else None) for f, _ in PARTS},
        }
