"""What the article and story pages share beyond rendering: the "since" choices of the
"what changed" timeline, Ask (a GET shows the form, a POST with the CSRF token answers,
rate limited and off the event loop), and the reader's comments and read state."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Callable

from fastapi import HTTPException, Request

from ..community import RateLimited
from ..storage import stories as story_store
from .community import current_user
from .community.base import client_ip, csrf_token, read_form, save_session, threadpool
from .render import json_response, wants_json


def since_options(request: Request, story: dict, defer_previous: bool = False) -> dict:
    """``since`` from the query (a date, or an instant like 2022-02-12T09:30:00Z), the end
    of the previous story in this thread, and the instant of the reader's last visit (read
    before this visit is recorded). ``defer_previous``: pass ``previous_of`` (the story id)
    instead, for a panel that reads it itself (``AIPanel``)."""
    options: dict = {"since": parse_since(request)}
    if story.get("id"):
        if defer_previous:
            options["previous_of"] = story["id"]
        else:
            options["previous"] = story_store.previous_in_thread(request.app.state.db, story["id"])
        user = _user(request)
        carried = carried_visit(request)
        if user is not None and carried is not None:
            options["last_visit"] = carried   # a "since" page belongs to the visit it came from
        elif user is not None:
            state = request.app.state.community.follows.read_state(user, story["id"])
            if state and state.get("opened_at"):
                options["last_visit"] = state["opened_at"]   # the instant, not the day
    return options


def parse_since(request: Request) -> date | datetime | None:
    """``since`` from the query: a date, or an instant like 2022-02-12T09:30:00Z (UTC when
    no zone is given); anything else is a 400 saying what is accepted."""
    raw = (request.query_params.get("since") or "").strip()
    if not raw:
        return None
    try:
        since = date.fromisoformat(raw) if len(raw) == 10 else datetime.fromisoformat(raw)
    except ValueError:
        raise HTTPException(400, "since must be a date like 2022-02-12 or an instant like "
                                 "2022-02-12T09:30:00Z") from None
    if isinstance(since, datetime) and since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    if not _in_range(since):
        raise HTTPException(400, "since must fall between the years 1000 and 9998")
    return since


def _in_range(value: date | datetime) -> bool:
    """Whether a date or instant is far enough from year 1 and year 9999 for the pages
    (UTC conversion, "the day after") not to overflow: 9999-12-31T23:59-14:00 is past
    9999 in UTC, and its OverflowError cost the page its AI panel."""
    if isinstance(value, datetime):
        try:
            value = value.astimezone(timezone.utc)
        except OverflowError:
            return False
    return 1000 <= value.year <= 9998


def carried_visit(request: Request) -> datetime | None:
    """The last visit a "since" link carries along (``last=``): a page opened on a choice
    belongs to the visit it came from."""
    return _instant(request.query_params.get("last"))


def _instant(raw: str | None) -> datetime | None:
    try:
        value = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value if _in_range(value) else None


def mark_read(request: Request, story_id: int) -> None:
    user = _user(request)
    if user is not None:
        request.app.state.community.follows.mark_read(user, story_id)


def reader(request: Request):
    """The logged-in reader, or None (also on a site without the community part)."""
    return _user(request)


def _user(request: Request):
    return current_user(request) if hasattr(request.app.state, "community") else None


def comments_json(request: Request, subject_type: str, subject_id: int) -> dict:
    community = request.app.state.community
    comments, more = community.comments.thread(subject_type, subject_id, _user(request))
    return {"enabled": True, "items": [c.to_dict() for c in comments], "more_after": more}


def ask_form(request: Request, question: str, title: str, back: str, action: str):
    """GET: the question form (with this visitor's CSRF token), pre-filled; nothing is
    computed or written. The answer comes from the POST."""
    token = csrf_token(request)
    if wants_json(request):
        response = json_response({"question": question, "answer": None, "csrf": token,
                                  "ask": f"POST {action} with form fields q and csrf"})
    else:
        response = request.app.state.renderer.page(request, "answer.html", {
            "question": question, "answer": None, "title": title, "back": back,
            "action": action, "csrf": token})
    response.headers["Cache-Control"] = "private, no-store"
    return save_session(request, response)


async def ask(request: Request, load_docs: Callable[[], list], title: str, back: str,
              subject: str, action: str):
    """POST: answer a question from the stored coverage only, with the supporting sentences.

    CSRF-checked; rate limited (``ask_per_minute_ip`` per address for readers who are not
    logged in, ``ask_per_minute_reader`` per logged-in reader, whose address gets three
    times the anonymous allowance); the model endpoint, when configured, answers logged-in
    readers and, for others, ``llm_asks_per_ip_day`` questions per address a day (then the
    extractive answer). The work runs in the thread pool, never on the event loop."""
    from .ai_panel import view
    data = await read_form(request, 8192)
    question = " ".join(data.get("q", "").split())[:500]
    if not question:
        raise HTTPException(400, "ask a question: the q field is empty")
    settings, user, ip = request.app.state.settings, _user(request), client_ip(request)
    offline = await threadpool(_take_ask_slots, request.app.state, user, ip)
    service = request.app.state.ai

    def answer():
        docs = load_docs()
        return docs, service.ask(docs, question, subject, offline=offline)

    docs, result = await threadpool(answer)
    outlets = {str(d.id): d.outlet for d in docs}
    if wants_json(request):
        return json_response({"question": question, "subject": subject, "answer": result.to_json()})
    response = request.app.state.renderer.page(request, "answer.html", {
        "question": question, "answer": view(result, outlets), "title": title, "back": back,
        "action": action, "csrf": csrf_token(request), "asked_at": datetime.now(),
        "llm_budget_spent": offline and settings.ai_provider != "offline"})
    response.headers["Cache-Control"] = "private, no-store"
    return save_session(request, response)


def _take_ask_slots(state, user, ip: str) -> bool:
    """Take this question's rate-limit slots (``RateLimited`` past them); whether it must
    be answered offline (the address's model budget for the day is spent)."""
    settings, limiter = state.settings, state.limiter
    with state.db.write() as conn:
        if user is None:
            limiter.hit(conn, f"ask:ip:{ip}", settings.ask_per_minute_ip, 60,
                        what="too many questions from your address")
        else:
            limiter.hit(conn, f"ask:reader:{user.id}", settings.ask_per_minute_reader, 60,
                        what="too many questions from your account")
            limiter.hit(conn, f"ask:ip-readers:{ip}", 3 * settings.ask_per_minute_ip, 60,
                        what="too many questions from your address")
    if settings.ai_provider == "offline" or user is not None:
        return False
    try:
        with state.db.write() as conn:
            limiter.hit(conn, f"ask-llm:ip:{ip}", settings.llm_asks_per_ip_day, 86400,
                        what="model budget")
        return False
    except RateLimited:
        return True
