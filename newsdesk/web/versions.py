"""An article's versions: ``/articles/{id}/versions/{n}`` shows version n with what changed
since version n-1 (headline, sentences added and removed, words changed inside a
sentence), with links along the history; ``.json`` gives the same as data. Also what the
article and story pages say about revisions (``revision_summary``, ``story_updates``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.exceptions import HTTPException

from ..storage import reading
from ..storage import versions as store
from ..storage.db import Database
from .render import json_response, parse_id, split_ref, wants_json
from .textdiff import diff, first_news

router = APIRouter(tags=["pages"])

REASONS = {"first": "first version we stored", "feed": "the outlet's feed changed the item",
           "schedule": "found on a scheduled re-check of the page",
           "push": "pushed by the outlet's WebSub hub"}


def revision_summary(db: Database, article_id: int) -> dict[str, Any] | None:
    """For the article page and its JSON twin: how many times the article was updated,
    its versions (without texts), and whether its page is gone. None: never checked."""
    state = store.revision_state(db, article_id)
    if state is None:
        return None
    listed = store.list_versions(db, article_id) if state["versions"] > 1 else []
    return {"updates": max(0, state["versions"] - 1), "last_update": state["revised_at"],
            "last_checked_at": state["last_checked_at"], "last_status": state["last_status"],
            "gone_at": state["gone_at"], "http_status": state["http_status"],
            "versions": [{"version": v["version"], "title": v["title"], "seen_at": v["seen_at"],
                          "reason": v["reason"], "words": v["word_count"],
                          "url": f"/articles/{article_id}/versions/{v['version']}"} for v in listed]}


def story_updates(db: Database, story_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """The newest revisions of a story's articles, each with what the report now says."""
    out = []
    for row in store.story_revisions(db, story_id, limit):
        headline = " ".join(row["before_title"].split()) != " ".join(row["title"].split())
        out.append({"article_id": row["article_id"], "version": row["version"],
                    "seen_at": row["seen_at"], "outlet": {"id": row["source_id"], "name": row["outlet"]},
                    "title": row["title"], "headline_changed": headline,
                    "now_says": first_news(row["before_text"], row["text"], row["title"]),
                    "url": f"/articles/{row['article_id']}/versions/{row['version']}"})
    return out


@router.get("/articles/{article_id}/versions/{ref}",
            summary="One version of an article and what changed since the one before (.json)")
async def version_page(request: Request, article_id: str, ref: str):
    state = request.app.state
    ident = parse_id(article_id, "article")
    stem, fmt = split_ref(ref)
    number = parse_id(stem, "version")
    ctx = reading.article_context(state.db, ident)
    listed = store.list_versions(state.db, ident)
    if not listed:
        if number != 1:
            raise HTTPException(404, f"article {ident} has one version only")
        article = ctx["article"]  # never changed: its one version is the article itself
        listed = [{"version": 1, "title": article["title"], "seen_at": article["fetched_at"],
                   "reason": "first", "word_count": article["word_count"]}]
        found = {1: dict(listed[0], text=article["text"])}
    else:
        found = store.get_versions(state.db, ident, [number, number - 1])
    if number not in found:
        raise HTTPException(404, f"article {ident} has no version {number} "
                                 f"(it has {len(listed)})")
    this, before = found[number], found.get(number - 1)
    changes = (diff(before["text"], this["text"], before["title"], this["title"])
               if before else diff(this["text"], this["text"]))
    data = {"article": {"id": ident, "title": ctx["article"]["title"]}, "outlet": ctx["outlet"],
            "version": {"version": number, "title": this["title"], "seen_at": this["seen_at"],
                        "reason": this["reason"], "words": this["word_count"]},
            "versions": [{"version": v["version"], "title": v["title"], "seen_at": v["seen_at"],
                          "reason": v["reason"], "url": f"/articles/{ident}/versions/{v['version']}"}
                         for v in listed],
            "compared_with": number - 1 if before else None}
    if wants_json(request, fmt):
        return json_response(dict(data, diff=changes.to_json() if before else None,
                                  text=this["text"]),
                             headers={"Cache-Control": "public, max-age=60"})
    return state.renderer.page(request, "version.html", dict(
        data, diff=changes, has_before=before is not None, reasons=REASONS,
        previous=number - 1 if number > 1 else None,
        next=number + 1 if number < len(listed) else None,
        json_url=f"/articles/{ident}/versions/{number}.json"))
