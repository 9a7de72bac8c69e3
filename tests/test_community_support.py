"""Helpers for the community tests (no tests here): a small real site on the ``db``
fixture's database, fast argon2 parameters, the app with the community pages installed,
a real uvicorn server on 127.0.0.1 and a real SMTP sink on 127.0.0.1."""

from __future__ import annotations

import hashlib
import re
import socketserver
import threading
from datetime import datetime, timedelta, timezone

import httpx
from argon2 import PasswordHasher
from sqlalchemy import text

from newsdesk.community.accounts import Accounts
from newsdesk.storage.articles import insert_articles
from newsdesk.storage.sources import add_source
from servers import LiveServer  # noqa: F401  (the community tests import it from here)

FAST_HASH = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
PASSWORD = "correct horse battery"


def accounts(db, **kw) -> Accounts:
    return Accounts(db, hasher=FAST_HASH, **kw)


def add_articles(db, source_id: int, count: int, start: int = 0, story_id: int | None = None) -> list[int]:
    now = datetime.now(timezone.utc)
    rows = [{"source_id": source_id, "entry_hash": hashlib.sha1(f"{source_id}:{n}".encode()).hexdigest(),
             "title": f"Article {n} on the ceasefire", "text": f"Paragraph about item {n}.",
             "url": f"https://example.org/{source_id}/{n}", "fetched_at": now,
             "published_at": now - timedelta(minutes=n), "extraction": "page"}
            for n in range(start, start + count)]
    with db.write() as conn:
        ids = insert_articles(conn, rows, db.dialect)
        if story_id is not None:
            for aid in ids:
                conn.execute(text("INSERT INTO article_story (article_id, story_id, similarity) "
                                  "VALUES (:a, :s, 0.9)"), {"a": aid, "s": story_id})
            conn.execute(text("UPDATE stories SET article_count = article_count + :n, last_seen = :t "
                              "WHERE id = :s"), {"n": len(ids), "s": story_id,
                                                 "t": now.replace(tzinfo=None) if db.is_sqlite else now})
    return ids


def add_story(db, title: str, tag: str | None = None) -> int:
    now = datetime.now(timezone.utc)
    when = now.replace(tzinfo=None) if db.is_sqlite else now
    with db.write() as conn:
        story_id = conn.execute(text(
            "INSERT INTO stories (title, first_seen, last_seen, article_count, outlet_count, updated_at) "
            "VALUES (:t, :w, :w, 0, 1, :w) RETURNING id"), {"t": title, "w": when}).scalar()
        if tag:
            conn.execute(text("INSERT INTO story_tags (story_id, slug, display, score) "
                              "VALUES (:s, :slug, :d, 1.0)"), {"s": story_id, "slug": tag, "d": tag.title()})
    return story_id


def make_site(db) -> dict:
    """Two outlets, five articles, one story of three articles tagged 'ceasefire'."""
    one = add_source(db, "https://one.example/feed", title="Outlet One")
    two = add_source(db, "https://two.example/feed", title="Outlet Two")
    story = add_story(db, "Ceasefire talks", tag="ceasefire")
    in_story = add_articles(db, one.id, 3, story_id=story)
    loose = add_articles(db, two.id, 2)
    return {"sources": (one, two), "story": story, "story_articles": in_story,
            "article": loose[0], "other_article": loose[1]}


def make_app(settings, db, **services):
    from newsdesk.web import create_app
    from newsdesk.web.community import install
    settings = settings.with_(secret_key="community-test-secret")
    app = create_app(settings, db, refresher=lambda source: None)
    services.setdefault("accounts", accounts(db))
    community = install(app, settings, db, **services)
    return app, community


# ----------------------------------------------------------------- a real HTTP server
def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=10, follow_redirects=False)


def login(http: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    page = http.get("/login")
    return http.post("/login", data={"csrf": csrf_of(page.text), "username": username,
                                     "password": password, "next": "/"})


def wait_for(condition, seconds: float = 5.0) -> None:
    """Until ``condition()`` holds (work done after a response, e.g. a mail), or fail."""
    import time
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def page_csrf(http: httpx.Client, path: str = "/account") -> str:
    return csrf_of(http.get(path).text)


# ----------------------------------------------------------------- a real SMTP sink
class SMTPSink:
    """A minimal SMTP server on 127.0.0.1 that keeps every message it is given."""

    def __init__(self):
        self.messages: list[dict] = []
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 sink ESMTP\r\n")
                mail_from, rcpt = None, []
                while True:
                    line = self.rfile.readline(4096)
                    if not line:
                        return
                    cmd = line.decode("ascii", "replace").strip()
                    verb = cmd[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250 sink\r\n")
                    elif verb == "MAIL":
                        mail_from, rcpt = cmd[10:].strip(" <>"), []
                        self.wfile.write(b"250 ok\r\n")
                    elif verb == "RCPT":
                        rcpt.append(cmd[8:].strip(" <>"))
                        self.wfile.write(b"250 ok\r\n")
                    elif verb == "DATA":
                        self.wfile.write(b"354 go\r\n")
                        data = bytearray()
                        while True:
                            chunk = self.rfile.readline(65536)
                            if not chunk or chunk == b".\r\n":
                                break
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        sink.messages.append({"from": mail_from, "to": rcpt,
                                              "data": data.decode("utf-8", "replace")})
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self) -> "SMTPSink":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
