"""Helpers for the app API tests (no tests here): a small real site with categories,
stories and a wire story carried by three outlets, readers with app passwords, the app
on a real uvicorn server, and a small Google Reader client over httpx that sends exactly
the requests a test spells out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import httpx

from newsdesk.community.apps import AppAccess
from newsdesk.storage.sources import add_source, update_source
from test_community_support import PASSWORD, accounts, add_articles, add_story, make_app

LONG = "tag:google.com,2005:reader/item/"


@dataclass
class World:
    db: object
    sources: list
    wire: int                 # a story carried by three outlets (one article each)
    wire_articles: list[int]
    local: int                # a one-outlet story of two articles
    local_articles: list[int]
    loose: list[int]          # articles in no story
    alice: object = None      # reader
    admin: object = None
    app_password: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def all_articles(self) -> list[int]:
        return sorted(self.wire_articles + self.local_articles + self.loose)


def make_world(db) -> World:
    """Three sources: two under "world", one under "local"; a wire story (3 articles,
    3 outlets), a local story (2 articles) and 3 articles in no story."""
    one = add_source(db, "https://one.example/feed", title="Outlet One")
    two = add_source(db, "https://two.example/feed", title="Outlet Two")
    three = add_source(db, "https://three.example/feed", title="Outlet Three")
    update_source(db, one.id, category="world")
    update_source(db, two.id, category="world")
    update_source(db, three.id, category="local")
    wire = add_story(db, "Ceasefire agreed")
    wire_articles = []
    for n, source in enumerate((one, two, three)):
        wire_articles += add_articles(db, source.id, 1, start=10 + n, story_id=wire)
    local = add_story(db, "Bridge reopens")
    local_articles = add_articles(db, three.id, 2, start=20, story_id=local)
    loose = add_articles(db, one.id, 2, start=30) + add_articles(db, two.id, 1, start=40)
    acc = accounts(db)
    world = World(db, [one, two, three], wire, wire_articles, local, local_articles, loose)
    world.alice = acc.signup("alice", PASSWORD, "alice@example.org")
    world.admin = acc.signup("root", PASSWORD, role="admin")
    world.app_password = AppAccess(db, acc).create_password(world.alice, "Reeder on my phone")
    return world


def app_for(settings, db):
    app, community = make_app(settings, db)
    return app


def fever_key(login: str, password: str) -> str:
    return hashlib.md5(f"{login}:{password}".encode()).hexdigest()


class GReader:
    """Requests as a Google Reader client sends them (form bodies, repeated keys)."""

    def __init__(self, base: str, prefix: str = ""):
        self.http = httpx.Client(base_url=base + prefix, timeout=10)
        self.auth: str | None = None
        self.t: str | None = None

    def login(self, email: str, password: str, **extra) -> httpx.Response:
        response = self.http.post("/accounts/ClientLogin", data={"Email": email, "Passwd": password, **extra})
        if response.status_code == 200 and "Auth=" in response.text:
            self.auth = response.text.split("Auth=")[1].split()[0]
        return response

    def headers(self) -> dict:
        return {"Authorization": f"GoogleLogin auth={self.auth}"} if self.auth else {}

    def get(self, path: str, **params) -> httpx.Response:
        return self.http.get("/reader/api/0/" + path, params=params, headers=self.headers())

    def post(self, path: str, data, params=None) -> httpx.Response:
        return self.http.post("/reader/api/0/" + path, data=data, params=params, headers=self.headers())

    def token(self) -> str:
        self.t = self.get("token").text
        return self.t

    def ids(self, **params) -> list[int]:
        params.setdefault("output", "json")
        refs = self.get("stream/items/ids", **params).json()["itemRefs"]
        return [int(r["id"]) for r in refs]

    def close(self) -> None:
        self.http.close()
