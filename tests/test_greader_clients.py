"""Recorded request sequences of the apps readers use, replayed against a real server.

Each sequence is written from the app's documented request forms (their source code or the
FreshRSS/Miniflux compatibility notes): the method, where each parameter travels (query
or body), how the body is encoded, which item id form and which ``T`` the app sends. Bodies
are sent byte for byte as the apps build them (NetNewsWire does not percent-encode its
slashes and colons).

    Reeder          T=x on every POST; stream/contents of the reading list with ot
    NetNewsWire     unpadded hex long ids for contents, %.16llx for edit-tag; quickadd in
                    the query; T with the token's trailing newline
    FeedMe          empty T; contents of a feed stream; POST contents with short ids
    Read You        ClientLogin with output=json (JSON answer); bare 16-hex ids; n=10000;
                    read ids with ot; mark-all-as-read with ts
    Fluent Reader   no T at all; stream/contents with no stream; bare hex ids from items
"""

from __future__ import annotations

import httpx
import pytest

from apps_support import LONG, app_for, make_world
from newsdesk.storage import appauth
from test_community_support import LiveServer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
READ, STARRED = "user/-/state/com.google/read", "user/-/state/com.google/starred"
RL = "user/-/state/com.google/reading-list"


@pytest.fixture
def site(settings, db):
    world = make_world(db)
    appauth.set_item_mode(db, world.alice.id, "articles")
    with LiveServer(app_for(settings, db)) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        yield world, http


def _login(http, body: bytes, prefix: str = "") -> str:
    response = http.post(prefix + "/accounts/ClientLogin", content=body, headers=FORM)
    assert response.status_code == 200, response.text
    return response.text.split("Auth=")[1].split()[0]


def _unread(http, auth, prefix="") -> list[int]:
    body = http.get(prefix + "/reader/api/0/stream/items/ids",
                    params={"output": "json", "s": RL, "xt": READ, "n": "10000"},
                    headers={"Authorization": f"GoogleLogin auth={auth}"}).json()
    return [int(r["id"]) for r in body["itemRefs"]]


def test_reeder(site):
    world, http = site
    prefix = "/api/greader.php"                     # Reeder's "FreshRSS" account type
    auth = _login(http, f"Email=alice&Passwd={world.app_password}".encode(), prefix)
    h = {"Authorization": f"GoogleLogin auth={auth}"}
    assert http.get(prefix + "/reader/api/0/user-info?output=json", headers=h).json()["userName"] == "alice"
    assert len(http.get(prefix + "/reader/api/0/subscription/list?output=json", headers=h).json()["subscriptions"]) == 3
    counts = http.get(prefix + "/reader/api/0/unread-count?output=json", headers=h).json()
    assert {"max", "unreadcounts"} <= set(counts)
    stream = http.get(prefix + f"/reader/api/0/stream/contents/{RL}",
                      params={"output": "json", "n": "50", "ot": "0", "ck": "1700000000"}, headers=h).json()
    assert len(stream["items"]) == 8 and "continuation" not in stream
    first = stream["items"][0]["id"]
    done = http.post(prefix + "/reader/api/0/edit-tag", content=f"T=x&a={READ}&i={first}".encode(),
                     headers={**h, **FORM})
    assert done.text == "OK"
    assert int(first[len(LONG):], 16) not in _unread(http, auth, prefix)


def test_netnewswire(site):
    world, http = site
    auth = _login(http, f"Email=alice@example.org&Passwd={world.app_password}".encode())
    h = {"Authorization": f"GoogleLogin auth={auth}"}
    token = http.get("/reader/api/0/token", headers=h).text + "\n"     # used as read, newline and all
    assert http.get("/reader/api/0/tag/list?output=json", headers=h).json()["tags"][0]["id"] == STARRED
    http.get("/reader/api/0/subscription/list?output=json", headers=h).raise_for_status()
    ids, cont = [], None
    while True:                                    # allForAccount: ot three months back, pages of 1000
        params = {"n": "1000", "output": "json", "ot": "1600000000", "s": RL}
        if cont:
            params["c"] = cont
        body = http.get("/reader/api/0/stream/items/ids", params=params, headers=h).json()
        ids += [r["id"] for r in body["itemRefs"]]
        cont = body.get("continuation")
        if not cont:
            break
    assert sorted(map(int, ids)) == world.all_articles
    wanted = "&".join(f"i=tag:google.com,2005:reader/item/{int(i):x}" for i in ids[:3])
    items = http.post("/reader/api/0/stream/items/contents", content=f"T={token}&output=json&{wanted}".encode(),
                      headers={**h, **FORM}).json()["items"]
    assert {i["id"] for i in items} == {f"{LONG}{int(i):016x}" for i in ids[:3]}
    marked = "&".join(f"i=tag:google.com,2005:reader/item/{int(i):016x}" for i in ids[:2])
    assert http.post("/reader/api/0/edit-tag", content=f"T={token}&{marked}&a={READ}".encode(),
                     headers={**h, **FORM}).text == "OK"
    assert not set(map(int, ids[:2])) & set(_unread(http, auth))
    http.post("/reader/api/0/edit-tag", content=f"T={token}&i={LONG}{int(ids[2]):016x}&a={STARRED}".encode(),
              headers={**h, **FORM})
    starred = http.get("/reader/api/0/stream/items/ids", params={"n": "1000", "output": "json", "s": STARRED},
                       headers=h).json()["itemRefs"]
    assert [r["id"] for r in starred] == [ids[2]]
    added = http.post("/reader/api/0/subscription/quickadd?quickadd=https://two.example/feed",
                      content=f"T={token}".encode(), headers={**h, **FORM}).json()
    assert added["numResults"] == 1 and added["streamId"] == f"feed/{world.sources[1].id}"
    assert http.post("/reader/api/0/subscription/edit", headers={**h, **FORM}, content=(
        f"T={token}&ac=subscribe&s={added['streamId']}&a=user/-/label/News&t=Two").encode()).text == "OK"
    assert http.post("/reader/api/0/rename-tag", headers={**h, **FORM}, content=(
        f"T={token}&s=user/-/label/News&dest=user/-/label/Daily").encode()).text == "OK"
    assert http.post("/reader/api/0/subscription/edit", headers={**h, **FORM}, content=(
        f"T={token}&s={added['streamId']}&ac=unsubscribe").encode()).text == "OK"


def test_feedme(site):
    world, http = site
    auth = _login(http, f"Email=alice&Passwd={world.app_password}".encode())
    h = {"Authorization": f"GoogleLogin auth={auth}"}
    three = world.sources[2].id
    feed = http.get(f"/reader/api/0/stream/contents/feed/{three}", params={"output": "json", "n": "20"},
                    headers=h).json()
    assert len(feed["items"]) == 3 and all(i["origin"]["streamId"] == f"feed/{three}" for i in feed["items"])
    unread = _unread(http, auth)
    items = http.post("/reader/api/0/stream/items/contents", headers={**h, **FORM},
                      content="&".join(f"i={i}" for i in unread[:4]).encode()).json()["items"]
    assert len(items) == 4
    assert http.post("/reader/api/0/edit-tag", headers={**h, **FORM},
                     content=f"T=&a={READ}&i={unread[0]}".encode()).text == "OK"     # FeedMe's empty T
    assert unread[0] not in _unread(http, auth)


def test_read_you(site):
    world, http = site
    login = http.post("/accounts/ClientLogin", data={
        "output": "json", "Email": "alice", "Passwd": world.app_password, "client": "ReadYou",
        "accountType": "HOSTED_OR_GOOGLE", "service": "reader"})
    auth = login.json()["Auth"]                     # Miniflux-style JSON answer
    h = {"Authorization": f"GoogleLogin auth={auth}"}
    token = http.get("/reader/api/0/token", headers=h).text
    unread = [r["id"] for r in http.get(f"/reader/api/0/stream/items/ids?output=json&s={RL}&xt={READ}&n=10000",
                                        headers=h).json()["itemRefs"]]
    starred = http.get(f"/reader/api/0/stream/items/ids?output=json&s={STARRED}&n=10000", headers=h).json()
    assert len(unread) == 8 and starred["itemRefs"] == []
    contents = http.post("/reader/api/0/stream/items/contents?output=json", headers=h,
                         data={"i": [f"{int(i):016x}" for i in unread[:3]], "T": token}).json()["items"]
    assert [int(i["id"][len(LONG):], 16) for i in contents] == sorted(map(int, unread[:3]), reverse=True)
    assert http.post("/reader/api/0/edit-tag?output=json", headers=h, data={
        "i": f"{LONG}{int(unread[0]):016x}", "a": READ, "T": token}).text == "OK"
    read = http.get(f"/reader/api/0/stream/items/ids?output=json&s={READ}&ot=0&n=10000", headers=h).json()
    assert [r["id"] for r in read["itemRefs"]] == [unread[0]]
    added = http.post("/reader/api/0/subscription/quickadd?output=json&quickadd=https://one.example/feed",
                      headers=h, data={"quickadd": "https://one.example/feed", "T": token}).json()
    assert added["streamId"] == f"feed/{world.sources[0].id}"
    assert http.post("/reader/api/0/mark-all-as-read?output=json", headers=h, data={
        "s": f"feed/{world.sources[2].id}", "ts": "9999999999999999", "T": token}).text == "OK"
    assert len(_unread(http, auth)) == 4


def test_fluent_reader(site):
    world, http = site
    auth = _login(http, f"Email=alice&Passwd={world.app_password}".encode())
    h = {"Authorization": f"GoogleLogin auth={auth}"}
    assert http.get("/reader/api/0/user-info", headers=h).status_code == 200
    subs = http.get("/reader/api/0/subscription/list?output=json", headers=h).json()["subscriptions"]
    assert all(s["categories"][0]["label"] for s in subs)
    items, cont = [], None
    while True:
        params = "/reader/api/0/stream/contents?output=json&n=3" + (f"&c={cont}" if cont else "")
        body = http.get(params, headers=h).json()
        items += body["items"]
        cont = body.get("continuation")
        if not cont:
            break
    assert len(items) == 8 and all(i["canonical"][0]["href"] and i["crawlTimeMsec"] for i in items)
    ref = items[0]["id"].split("/")[-1]                # compactId without int64: the bare hex
    assert http.post("/reader/api/0/edit-tag", headers=h, data={"i": ref, "a": READ}).text == "OK"
    assert int(ref, 16) not in _unread(http, auth)
    assert http.post("/reader/api/0/edit-tag", headers=h, data={"i": ref, "a": STARRED}).text == "OK"
    assert http.post("/reader/api/0/mark-all-as-read", headers=h,
                     data={"s": f"feed/{world.sources[0].id}"}).text == "OK"
    assert not set(world.loose[:2]) & set(_unread(http, auth))
