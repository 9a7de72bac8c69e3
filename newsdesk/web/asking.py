"""What the article and story pages share beyond rendering: the "since" choices of the
"what changed" timeline, the Ask answer page, and the reader's comments and read state."""

from __future__ import annotations

from datetime import date, datetime, timezone

from fastapi import HTTPException, Request

from ..storage import stories as story_store
from .community import current_user
from .render import json_response, wants_json


def since_options(request: Request, story: dict, defer_previous: bool = False) -> dict:
    """``since`` from the query (a date, or an instant like 2022-02-12T09:30:00Z), the end
    of the previous story in this thread, and the instant of the reader's last visit (read
    before this visit is recorded). ``defer_previous``: pass ``previous_of`` (the story id)
    instead, for a panel that reads it itself (``AIPanel``)."""
    raw = (request.query_params.get("since") or "").strip()
    since: date | datetime | None = None
    if raw:
        try:
            since = date.fromisoformat(raw) if len(raw) == 10 else datetime.fromisoformat(raw)
        except ValueError:
            raise HTTPException(400, "since must be a date like 2022-02-12 or an instant like "
                                     "2022-02-12T09:30:00Z") from None
        if isinstance(since, datetime) and since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
    options: dict = {"since": since}
    if story.get("id"):
        if defer_previous:
            options["previous_of"] = story["id"]
        else:
            options["previous"] = story_store.previous_in_thread(request.app.state.db, story["id"])
        user = _user(request)
        carried = _instant(request.query_params.get("last"))
        if user is not None and carried is not None:
            options["last_visit"] = carried   # a "since" page belongs to the visit it came from
        elif user is not None:
            state = request.app.state.community.follows.read_state(user, story["id"])
            if state and state.get("opened_at"):
                options["last_visit"] = state["opened_at"]   # the instant, not the day
    return options


def _instant(raw: str | None) -> datetime | None:
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def mark_read(request: Request, story_id: int) -> None:
    user = _user(request)
    if user is not None:
        request.app.state.community.follows.mark_read(user, story_id)


def _user(request: Request):
    return current_user(request) if hasattr(request.app.state, "community") else None


def comments_json(request: Request, subject_type: str, subject_id: int) -> dict:
    community = request.app.state.community
    comments, more = community.comments.thread(subject_type, subject_id, _user(request))
    return {"enabled": True, "items": [c.to_dict() for c in comments], "more_after": more}


def answer_page(request: Request, question: str, docs: list, title: str, back: str, subject: str):
    """Answer a question from the stored coverage only, with the supporting sentences."""
    from .ai_panel import view
    service = request.app.state.ai
    result = service.ask(docs, question, subject)
    outlets = {str(d.id): d.outlet for d in docs}
    answer = view(result, outlets)
    if wants_json(request):
        return json_response({"question": question, "subject": subject, "answer": result.to_json()})
    return request.app.state.renderer.page(request, "answer.html", {
        "question": question, "answer": answer, "title": title, "back": back,
        "asked_at": datetime.now()})
