"""Google Reader API: changing state and subscriptions.

    POST /reader/api/0/edit-tag             i (repeated), a / r: .../read, .../starred,
                                            .../kept-unread (labels on items are ignored)
    POST /reader/api/0/mark-all-as-read     s (stream), ts (older than; s, ms, us or ns)
    GET  /reader/api/0/subscription/list    every source (the reader's changes applied)
    POST /reader/api/0/subscription/edit    ac=subscribe|unsubscribe|edit, s, t, a, r
    POST /reader/api/0/subscription/quickadd   quickadd=<URL>
    GET  /reader/api/0/tag/list             starred and the labels (source categories)
    POST /reader/api/0/rename-tag, disable-tag   s, dest: move this reader's feeds

In "stories" mode marking an item read marks its whole story read up to it. A new
account's subscriptions are all the installation's sources, labelled by category;
unsubscribing hides a source for this reader only. Subscribing to a URL follows the
source with that URL; a URL the installation does not have yet is added (feed discovery
included) only for admins.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request

from ...community import Forbidden
from ...errors import NewsdeskError
from ...storage import appauth, itemstate
from ...storage import sources as source_store
from ..community.base import threadpool
from .greader_auth import APIError, device, many, one, out, params, text, translate, unix_time
from .greader_streams import load_view, stream_filter
from .items import KEPT_UNREAD, READ, READING_LIST, STARRED, label_of, normal_stream, parse_item_id

router = APIRouter(include_in_schema=False)


def OK():
    return text("OK")


@router.post("/reader/api/0/edit-tag")
async def edit_tag(request: Request):
    pairs = await params(request)
    user = (await device(request)).user
    ids = [parse_item_id(i) for i in many(pairs, "i")]
    if not ids:
        raise APIError(400, "no items: send i=<item id> (repeatable)")
    add = {normal_stream(t) for t in many(pairs, "a")}
    remove = {normal_stream(t) for t in many(pairs, "r")}
    if (READ in add and READ in remove) or (STARRED in add and STARRED in remove):
        raise APIError(400, "a tag cannot be added and removed at once")
    db = request.app.state.db

    def run():
        stories = appauth.item_mode(db, user.id) == "stories"
        if READ in add or KEPT_UNREAD in remove:
            itemstate.mark_read(db, user.id, ids, whole_story=stories)
        if READ in remove or KEPT_UNREAD in add:
            itemstate.mark_unread(db, user.id, ids)
        if STARRED in add or STARRED in remove:
            itemstate.set_starred(db, user.id, ids, STARRED in add)

    await threadpool(run)
    return OK()


def parse_before(value: str) -> datetime | None:
    """``ts``: apps send seconds, milliseconds, microseconds or nanoseconds."""
    value = (value or "").strip()
    if not value or value == "0":
        return None
    if not value.isdigit() or len(value) > 20:
        raise APIError(400, "ts must be a timestamp")
    number = int(value)
    scale = (1_000_000_000 if number >= 10**17 else 1_000_000 if number >= 10**14
             else 1_000 if number >= 10**11 else 1)
    return unix_time(number / scale, "ts")


@router.post("/reader/api/0/mark-all-as-read")
async def mark_all_as_read(request: Request):
    pairs = await params(request)
    user = (await device(request)).user
    db = request.app.state.db
    stream, before = one(pairs, "s") or READING_LIST, parse_before(one(pairs, "ts"))

    def run():
        view = load_view(db, user)
        only, state = stream_filter(view, stream)
        if state is not None:
            raise APIError(400, "mark all as read works on the reading list, a feed or a label")
        itemstate.mark_all_read(db, user.id, itemstate.cutoff_id(db, before), only)

    await threadpool(run)
    return OK()


@router.get("/reader/api/0/subscription/list")
async def subscription_list(request: Request):
    user = (await device(request)).user
    view = await threadpool(load_view, request.app.state.db, user)
    return out({"subscriptions": [
        {"id": f"feed/{s['id']}", "title": s["title"], "url": s["url"], "htmlUrl": s["site_url"],
         "iconUrl": "", "categories": [{"id": f"user/-/label/{s['label']}", "label": s["label"],
                                        "type": "folder"}] if s["label"] else []}
        for s in view.visible()]})


@router.get("/reader/api/0/tag/list")
async def tag_list(request: Request):
    user = (await device(request)).user
    view = await threadpool(load_view, request.app.state.db, user)
    labels = sorted({s["label"] for s in view.visible() if s["label"]})
    return out({"tags": [{"id": STARRED}] + [
        {"id": f"user/-/label/{name}", "label": name, "type": "folder"} for name in labels]})


def _follow(request: Request, user, source_id: int, follow: bool) -> None:
    """Subscriptions are outlet follows on the site too ("My news")."""
    follows = request.app.state.community.follows
    if follow:
        follows.follow(user, "outlet", str(source_id))
    else:
        follows.unfollow(user, "outlet", str(source_id))


def _source_for(request: Request, user, ref: str) -> int:
    """The source a subscribe names: an id, a known URL, or (admins only) a new one."""
    db = request.app.state.db
    view = load_view(db, user)
    try:
        return view.feed(ref)
    except APIError:
        pass
    if not ref.startswith(("http://", "https://")) or len(ref) > 2000:
        raise APIError(400, f"not a feed address: {ref[:80]!r}")
    if not user.is_admin:
        raise Forbidden("this account may subscribe to the sources the site has, not add new "
                        "ones: ask an admin to add it")
    from ...ingest.fetch import Fetcher        # only admins get here: a network fetch
    from ...ingest.subscribe import subscribe
    settings = request.app.state.settings
    try:
        return view.feed(source_store.get_source(db, ref).url)
    except NewsdeskError:
        pass
    with Fetcher(settings) as fetcher:
        return subscribe(db, fetcher, ref).source.id


def _subscribe(request: Request, user, ref: str, title: str, label: str | None) -> int:
    source_id = _source_for(request, user, ref)
    changes = {"hidden": 0}
    if title:
        changes["title"] = title[:200]
    if label is not None:
        changes["label"] = label[:100]
    appauth.change_subscription(request.app.state.db, user.id, source_id, **changes)
    _follow(request, user, source_id, True)
    return source_id


@router.post("/reader/api/0/subscription/edit")
async def subscription_edit(request: Request):
    pairs = await params(request)
    user = (await device(request)).user
    action, refs = one(pairs, "ac"), many(pairs, "s")
    titles = many(pairs, "t")
    add, remove = one(pairs, "a"), one(pairs, "r")
    if action not in ("subscribe", "unsubscribe", "edit") or not refs:
        raise APIError(400, "send ac=subscribe|unsubscribe|edit and s=feed/<id or URL>")
    db = request.app.state.db

    def run():
        view = load_view(db, user)
        for n, stream in enumerate(refs):
            if not stream.startswith("feed/"):
                raise APIError(400, f"not a feed stream: {stream[:80]!r}")
            ref, title = stream[5:], titles[n] if n < len(titles) else ""
            label = label_of(add) if add else ("" if label_of(remove) is not None else None)
            if action == "subscribe":
                _subscribe(request, user, ref, title, label)
            elif action == "unsubscribe":
                source_id = view.feed(ref)
                appauth.change_subscription(db, user.id, source_id, hidden=1)
                _follow(request, user, source_id, False)
            else:
                changes = {k: v for k, v in (("title", title[:200] or None),
                                             ("label", label[:100] if label is not None else None))
                           if v is not None}
                if changes:
                    appauth.change_subscription(db, user.id, view.feed(ref), **changes)

    try:
        await threadpool(run)
    except Exception as exc:  # noqa: BLE001 -- library errors become plain-text statuses
        raise translate(exc) from None
    return OK()


@router.post("/reader/api/0/subscription/quickadd")
async def quickadd(request: Request):
    pairs = await params(request)
    user = (await device(request)).user
    url = one(pairs, "quickadd").strip()
    if url.startswith("feed/"):
        url = url[5:]
    try:
        source_id = await threadpool(_subscribe, request, user, url, "", None)
    except Exception as exc:  # noqa: BLE001
        raise translate(exc) from None
    view = await threadpool(load_view, request.app.state.db, user)
    name = next((s["title"] for s in view.subs if s["id"] == source_id), url)
    return out({"query": url, "numResults": 1, "streamId": f"feed/{source_id}", "streamName": name})


@router.post("/reader/api/0/rename-tag")
@router.post("/reader/api/0/disable-tag")
async def change_label(request: Request):
    pairs = await params(request)
    user = (await device(request)).user
    old = label_of(one(pairs, "s"))
    new = label_of(one(pairs, "dest")) if request.url.path.endswith("rename-tag") else ""
    if old is None or new is None or (request.url.path.endswith("rename-tag") and not new.strip()):
        raise APIError(400, "send s=user/-/label/<name> (and dest=user/-/label/<new name>)")
    db = request.app.state.db

    def run():
        view = load_view(db, user)
        sources = view.label_sources(old)
        if not sources:
            raise APIError(404, f"no label {old[:80]!r}")
        appauth.relabel(db, user.id, sources, new[:100])

    await threadpool(run)
    return OK()
