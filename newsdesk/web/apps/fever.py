"""The Fever API (``/fever/?api``, also ``/api/fever.php?api``), for apps that speak it.

``api_key`` (in the POST body, never the URL) is ``md5("username:app password")`` or
``md5("email:app password")``, as the Fever spec writes it: make an app password on the
account page first. Fever works with app passwords only (its key is an unsalted MD5,
which we refuse to keep of the account password). A wrong key gets 401 with
``{"api_version": 3, "auth": 0}``.

    ?api&groups | &feeds          labels (source categories) and sources, feeds_groups
    ?api&favicons | &links        empty lists (no favicons or hot links here)
    ?api&items                    50 items: since_id (oldest first), max_id (newest first),
                                  with_ids (up to 50); total_items
    ?api&unread_item_ids | &saved_item_ids    comma-separated ids (the newest 10,000)
    mark=item&as=read|unread|saved|unsaved&id=   one item
    mark=feed|group&as=read&id=&before=          everything collected before ``before``
                                                 (group 0: everything)

Items follow the reader's setting like the Google Reader API (one per story, or every
article), with the same read and starred state. Fever cannot add or remove feeds: use the
Google Reader API or the site for that. JSON only (``api=xml`` is answered in JSON).
"""

from __future__ import annotations

import zlib
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.responses import Response

from ...storage import itemstate, streams
from ..community.base import threadpool
from ..render import json_response
from .greader_auth import NO_STORE, APIError, integer, one, params, unix_time
from .greader_streams import View, load_view
from .items import content_html

router = APIRouter(include_in_schema=False)
PAGE = 50


def group_id(label: str) -> int:
    """A stable positive id for a label (labels are names, Fever wants numbers)."""
    return zlib.crc32(label.encode("utf-8")) & 0x7FFFFFFF or 1


def _reply(data: dict, status: int = 200) -> Response:
    return json_response(dict({"api_version": 3}, **data), status=status, headers=NO_STORE)


@router.api_route("/fever", methods=["GET", "POST"])
@router.api_route("/fever/", methods=["GET", "POST"])
@router.api_route("/api/fever.php", methods=["GET", "POST"])
async def fever(request: Request):
    pairs = await params(request)
    query = dict(parse_qsl(request.url.query, keep_blank_values=True))
    if "api" not in query:
        return _reply({"auth": 0, "error": "add ?api to the address"}, 400)
    body = pairs[len(parse_qsl(request.url.query, keep_blank_values=True)):]
    key = one(body, "api_key")
    access = request.app.state.community.apps
    found = await threadpool(access.device_for_fever_key, key) if key else None
    if found is None:
        return _reply({"auth": 0}, 401)
    db = request.app.state.db
    flags = set(query) | {k for k, _ in body}
    return await threadpool(_answer, request, db, found.user, flags, pairs)


def _answer(request: Request, db, user, flags: set[str], pairs) -> Response:
    view = load_view(db, user)
    visible = view.visible()
    refreshed = max((s["last_success_at"] for s in visible if s["last_success_at"]), default=None)
    data: dict = {"auth": 1, "last_refreshed_on_time": int(refreshed.timestamp()) if refreshed else 0}
    if one(pairs, "mark"):
        _mark(db, view, pairs)
    if "groups" in flags or "feeds" in flags:
        groups: dict[str, list[str]] = {}
        for s in visible:
            if s["label"]:
                groups.setdefault(s["label"], []).append(str(s["id"]))
        data["feeds_groups"] = [{"group_id": group_id(name), "feed_ids": ",".join(ids)}
                                for name, ids in sorted(groups.items())]
        if "groups" in flags:
            data["groups"] = [{"id": group_id(name), "title": name} for name in sorted(groups)]
        if "feeds" in flags:
            data["feeds"] = [{"id": s["id"], "favicon_id": 0, "title": s["title"], "url": s["url"],
                              "site_url": s["site_url"], "is_spark": 0,
                              "last_updated_on_time": int(s["last_success_at"].timestamp())
                              if s["last_success_at"] else 0} for s in visible]
    if "favicons" in flags:
        data["favicons"] = []
    if "links" in flags:
        data["links"] = []
    if "items" in flags:
        data.update(_items(request, db, view, pairs))
    if "unread_item_ids" in flags:
        ids, _ = streams.item_ids(db, view.scope(db), state="unread", n=streams.MAX_ITEMS)
        data["unread_item_ids"] = ",".join(map(str, sorted(ids)))
    if "saved_item_ids" in flags:
        ids, _ = streams.item_ids(db, view.scope(db), state="starred", n=streams.MAX_ITEMS)
        data["saved_item_ids"] = ",".join(map(str, sorted(ids)))
    return _reply(data)


def _items(request: Request, db, view: View, pairs) -> dict:
    scope = view.scope(db)
    with_ids = one(pairs, "with_ids")
    if with_ids:
        ids = [integer(i, "with_ids") for i in with_ids.split(",") if i.strip()][:PAGE]
        items = streams.contents(db, scope, ids)
    else:
        if one(pairs, "max_id"):
            top = integer(one(pairs, "max_id"), "max_id")
            ids, _ = streams.item_ids(db, scope, n=PAGE, after=top if top > 0 else None)
        else:
            since = integer(one(pairs, "since_id") or "0", "since_id")
            ids, _ = streams.item_ids(db, scope, n=PAGE, after=max(since, 0), oldest_first=True)
        items = streams.contents(db, scope, ids, oldest_first=not one(pairs, "max_id"))
    base = request.app.state.settings.site_url
    return {"total_items": streams.count_items(db, scope), "items": [
        {"id": i["id"], "feed_id": i["source_id"], "title": i["title"],
         "author": ", ".join(i["authors"]), "html": str(content_html(i, base)),
         "url": i["url"], "is_saved": int(i["starred"]), "is_read": int(i["read"]),
         "created_on_time": int((i["published_at"] or i["fetched_at"]).timestamp())}
        for i in items]}


def _mark(db, view: View, pairs) -> None:
    what, how = one(pairs, "mark"), one(pairs, "as")
    target = integer(one(pairs, "id"), "id")
    user_id = view.user_id
    if what == "item":
        if how == "read":
            itemstate.mark_read(db, user_id, [target], whole_story=view.mode == "stories")
        elif how == "unread":
            itemstate.mark_unread(db, user_id, [target])
        elif how in ("saved", "unsaved"):
            itemstate.set_starred(db, user_id, [target], how == "saved")
        else:
            raise APIError(400, "as must be read, unread, saved or unsaved")
        return
    if how != "read" or what not in ("feed", "group"):
        raise APIError(400, "mark=feed or mark=group works with as=read")
    before = one(pairs, "before")
    when = unix_time(integer(before, "before"), "before") if before else None
    up_to = itemstate.cutoff_id(db, when)
    if what == "feed":
        itemstate.mark_all_read(db, user_id, up_to, [view.feed(str(target))])
    elif target == 0:
        itemstate.mark_all_read(db, user_id, up_to)
    elif target > 0:
        sources = [s["id"] for s in view.visible() if s["label"] and group_id(s["label"]) == target]
        itemstate.mark_all_read(db, user_id, up_to, sources)
