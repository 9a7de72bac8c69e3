"""Google Reader API: reading streams.

    GET  /reader/api/0/stream/items/ids        s, n, c, r=o, ot, nt, xt, it -> itemRefs
    POST /reader/api/0/stream/items/contents   i (repeated, any id form) -> items
    GET  /reader/api/0/stream/contents[/<stream>]   the items of a stream (no stream:
                                               the reading list), same parameters as ids
    GET  /reader/api/0/unread-count            per feed, per label and in all

Streams: ``user/-/state/com.google/reading-list|read|starred``, ``feed/<id>`` (or
``feed/<feed URL>``), ``user/-/label/<label>``; ``user/<id>/...`` is the same as
``user/-/...``. Continuations are the last item id of the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from fastapi import APIRouter, Request

from ...storage import appauth, streams
from ..community.base import threadpool
from .greader_auth import APIError, device, many, one, out, params, unix_time
from .items import KEPT_UNREAD, READ, READING_LIST, STARRED, greader_item, label_of, normal_stream
from .items import parse_item_id, usec

router = APIRouter(include_in_schema=False)

CONTENTS_MAX = 1000          # items per contents call


@dataclass
class View:
    """One reader's subscriptions as the API shows them."""
    user_id: int
    mode: str
    subs: list[dict]

    @property
    def hidden(self) -> list[int]:
        return [s["id"] for s in self.subs if s["hidden"]]

    @property
    def labels(self) -> dict[int, str]:
        return {s["id"]: s["label"] for s in self.subs if s["label"]}

    def visible(self) -> list[dict]:
        return [s for s in self.subs if not s["hidden"]]

    def label_sources(self, label: str) -> list[int]:
        return [s["id"] for s in self.visible() if s["label"] == label]

    def feed(self, ref: str) -> int:
        """A feed stream's source id (``feed/12`` or ``feed/<url>``)."""
        for s in self.subs:
            if str(s["id"]) == ref or s["url"] == ref:
                return s["id"]
        raise APIError(404, f"no feed {ref[:80]!r}")

    def scope(self, db, only: list[int] | None = None) -> streams.Scope:
        return streams.Scope.load(db, self.user_id, self.mode, self.hidden, only)


def load_view(db, user) -> View:
    return View(user.id, appauth.item_mode(db, user.id), appauth.subscriptions(db, user.id))


async def view_of(request: Request) -> View:
    user = (await device(request)).user
    return await threadpool(load_view, request.app.state.db, user)


def stream_filter(view: View, stream: str) -> tuple[list[int] | None, str | None]:
    """(sources to keep or None for all, state: read | unread | starred | None)."""
    stream = normal_stream(stream or READING_LIST)
    if stream == READING_LIST:
        return None, None
    if stream in (READ, STARRED, KEPT_UNREAD):
        return None, {READ: "read", STARRED: "starred", KEPT_UNREAD: "unread"}[stream]
    if stream.startswith("feed/"):
        return [view.feed(stream[5:])], None
    label = label_of(stream)
    if label is not None:
        return view.label_sources(label), None
    raise APIError(400, f"unknown stream {stream[:80]!r}")


def _seconds(value: str, name: str) -> datetime | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 12:
        raise APIError(400, f"{name} must be a Unix time in seconds")
    return unix_time(int(value), name)


def _number(value: str, name: str, default: int) -> int:
    if not value:
        return default
    if not value.lstrip("-").isdigit() or len(value) > 12:
        raise APIError(400, f"{name} must be a number")
    return int(value)


def _state_of(target: str) -> str | None:
    return {READ: "read", STARRED: "starred", KEPT_UNREAD: "unread",
            "user/-/state/com.google/unread": "unread"}.get(normal_stream(target))


def _query(request: Request, view: View, pairs, stream: str, default_n: int, most: int):
    only, state = stream_filter(view, stream)
    for target in many(pairs, "it"):
        state = _state_of(target) or state
    exclude = None
    for target in many(pairs, "xt"):
        exclude = _state_of(target) or exclude
    cont = one(pairs, "c")
    return dict(scope=view.scope(request.app.state.db, only), state=state, exclude=exclude,
                n=max(1, min(_number(one(pairs, "n"), "n", default_n), most)),
                after=int(cont) if cont.isdigit() and len(cont) < 19 else None,
                oldest_first=one(pairs, "r") == "o",
                since=_seconds(one(pairs, "ot"), "ot"), until=_seconds(one(pairs, "nt"), "nt"))


@router.get("/reader/api/0/stream/items/ids")
async def item_ids(request: Request):
    pairs = await params(request)
    view = await view_of(request)
    query = await threadpool(_query, request, view, pairs, one(pairs, "s"), 20, streams.MAX_ITEMS)
    scope = query.pop("scope")
    ids, more = await threadpool(streams.item_ids, request.app.state.db, scope, **query)
    body: dict = {"itemRefs": [{"id": str(i)} for i in ids]}
    if more is not None:
        body["continuation"] = str(more)
    return out(body)


def _items_body(request: Request, view: View, items: list[dict], stream: str,
                more: int | None = None) -> dict:
    base = request.app.state.settings.site_url
    body = {"direction": "ltr", "id": stream, "title": "Reading list" if stream == READING_LIST else stream,
            "self": [{"href": str(request.url.remove_query_params("T"))}],
            "updated": int(datetime.now(timezone.utc).timestamp()),
            "items": [greader_item(i, view.labels, base) for i in items]}
    if more is not None:
        body["continuation"] = str(more)
    return body


@router.api_route("/reader/api/0/stream/items/contents", methods=["GET", "POST"])
async def items_contents(request: Request):
    pairs = await params(request)
    view = await view_of(request)
    ids = [parse_item_id(i) for i in many(pairs, "i")]
    if not ids:
        raise APIError(400, "no items asked for: send i=<item id> (repeatable)")
    if len(ids) > CONTENTS_MAX:
        raise APIError(400, f"at most {CONTENTS_MAX} items per call")
    db = request.app.state.db
    items = await threadpool(streams.contents, db, view.scope(db), ids, one(pairs, "r") == "o")
    return out(_items_body(request, view, items, READING_LIST))


@router.get("/reader/api/0/stream/contents")
@router.get("/reader/api/0/stream/contents/{stream:path}")
async def stream_contents(request: Request, stream: str = ""):
    pairs = await params(request)
    view = await view_of(request)
    stream = stream or one(pairs, "s") or READING_LIST
    db = request.app.state.db

    def run():
        query = _query(request, view, pairs, stream, 20, CONTENTS_MAX)
        scope = query.pop("scope")
        ids, more = streams.item_ids(db, scope, **query)
        return streams.contents(db, scope, ids, query["oldest_first"]), more

    items, more = await threadpool(run)
    return out(_items_body(request, view, items, normal_stream(stream), more))


@router.get("/reader/api/0/unread-count")
async def unread_count(request: Request):
    view = await view_of(request)
    db = request.app.state.db
    counts = await threadpool(lambda: streams.unread_counts(db, view.scope(db)))
    rows, labels, total, newest = [], {}, 0, 0
    for sub in view.visible():
        count, when = counts.get(sub["id"], (0, None))
        stamp = usec(when)
        rows.append({"id": f"feed/{sub['id']}", "count": count, "newestItemTimestampUsec": str(stamp)})
        if sub["label"]:
            n, t = labels.get(sub["label"], (0, 0))
            labels[sub["label"]] = (n + count, max(t, stamp))
        total, newest = total + count, max(newest, stamp)
    rows += [{"id": f"user/-/label/{name}", "count": n, "newestItemTimestampUsec": str(t)}
             for name, (n, t) in sorted(labels.items())]
    rows.append({"id": READING_LIST, "count": total, "newestItemTimestampUsec": str(newest)})
    return out({"max": streams.UNREAD_WINDOW, "unreadcounts": rows})
