"""A small real site for the web tests: a SQLite file filled through the storage
functions (``add_source``, ``insert_articles``) plus direct inserts into the story tables,
as the stories stage would write them. Imported by the ``test_web_*`` modules."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from newsdesk.settings import Settings
from newsdesk.storage.articles import insert_articles
from newsdesk.storage.db import Database
from newsdesk.storage.sources import add_source

NOW = datetime.now(timezone.utc).replace(microsecond=0)

HOSTILE_HTML = (
    '<p>Hostile paragraph one.</p><script>window.__pwned = 1; document.title = "PWNED"</script>'
    '<img src="x" onerror="window.__pwned = 2; document.title = \'PWNED\'">'
    '<a href="javascript:window.__pwned=3">click me</a>'
    '<svg onload="window.__pwned = 4"><circle r="5"/></svg>'
    '<iframe src="javascript:parent.__pwned=5"></iframe>'
    '<p style="background:url(javascript:alert(1))" onclick="window.__pwned=6">Hostile two.</p>'
)
HOSTILE_TITLE = 'Hostile <script>window.__pwned=7;document.title="PWNED"</script> title'


def _row(source_id: int, n: int, title: str, text_: str, when: datetime | None, **extra) -> dict:
    return {"source_id": source_id, "entry_hash": hashlib.sha1(f"{source_id}:{n}".encode()).hexdigest(),
            "guid": f"g{n}", "url": f"https://example.org/{source_id}/{n}", "title": title,
            "summary": None, "text": text_, "html": extra.pop("html", None),
            "authors": extra.pop("authors", []), "categories": [], "published_at": when,
            "updated_at": extra.pop("updated_at", None), "fetched_at": NOW,
            "language": "en", "lead_image": extra.pop("lead_image", None), "extraction": "page",
            "extraction_note": None, "word_count": len(text_.split()), "content_hash": None, **extra}


def build_site(tmp_path, *, articles_per_outlet: int = 40, admin_password: str = "") -> dict:
    """Three outlets, ``3 * articles_per_outlet`` ordinary articles, one story of three
    articles with tags and related rows, one hostile article. Returns ids and objects.
    Times are relative to the moment the site is built."""
    global NOW
    NOW = datetime.now(timezone.utc).replace(microsecond=0)
    settings = Settings(data_dir=str(tmp_path), database_url=f"sqlite:///{tmp_path / 'site.db'}",
                        admin_password=admin_password, secret_key="test-secret")
    db = Database.open(settings)
    kremlin = add_source(db, "https://en.kremlin.ru/rss", title="President of Russia",
                         outlet_label="government source (Russia)", category="politics",
                         language="en", attribution="President of Russia, en.kremlin.ru, CC BY 4.0")
    ukraine = add_source(db, "https://www.president.gov.ua/en/rss", title="President of Ukraine",
                         outlet_label="government source (Ukraine)", category="politics",
                         language="en", attribution="President of Ukraine, CC BY 4.0")
    voices = add_source(db, "https://globalvoices.org/feed", title="Global Voices",
                        outlet_label="citizen media", category="world", language="en",
                        attribution="Global Voices, CC BY 3.0")
    rows = []
    for k, src in enumerate((kremlin, ukraine, voices)):
        for n in range(articles_per_outlet):
            when = NOW - timedelta(hours=3 * n + k + 2)
            rows.append(_row(src.id, n, f"{src.title} item {n}: talks on grain exports",
                             f"Paragraph one of item {n} about grain exports and ceasefire.\n\n"
                             f"Paragraph two of item {n}.", when))
    story_rows = [
        _row(kremlin.id, 1000, "Phone call on the ceasefire",
             "Putin and Trump discussed a ceasefire.\n\nThe call lasted two hours.",
             NOW - timedelta(minutes=30), authors=["Press Office"],
             html="<p>Putin and Trump discussed a <em>ceasefire</em>.</p><p>The call lasted two hours.</p>",
             lead_image="https://example.org/lead.jpg", updated_at=NOW - timedelta(minutes=10)),
        _row(ukraine.id, 1000, "Zelensky comments on the call",
             "Zelensky said the ceasefire must be real.", NOW - timedelta(hours=5)),
        _row(voices.id, 1000, "Citizens react to the ceasefire call",
             "Bloggers across the region reacted.", NOW - timedelta(days=1, hours=2)),
    ]
    hostile = _row(voices.id, 2000, HOSTILE_TITLE, "Hostile text <script>window.__pwned=8</script>",
                   NOW - timedelta(minutes=1), html=HOSTILE_HTML,
                   lead_image="javascript:window.__pwned=9")
    hostile["url"] = "javascript:window.__pwned=10"
    undated = _row(voices.id, 3000, "An undated dispatch", "No date was given.", None)
    with db.write() as conn:
        insert_articles(conn, rows, db.dialect)
        story_ids = insert_articles(conn, story_rows, db.dialect)
        hostile_id = insert_articles(conn, [hostile], db.dialect)[0]
        undated_id = insert_articles(conn, [undated], db.dialect)[0]
        story_id = conn.execute(text(
            "INSERT INTO stories (title, lead_article_id, first_seen, last_seen, article_count, "
            "outlet_count, updated_at) VALUES (:t, :lead, :first, :last, 3, 3, :last) RETURNING id"),
            {"t": "Ceasefire phone call", "lead": story_ids[0],
             "first": (NOW - timedelta(days=1, hours=2)).replace(tzinfo=None),
             "last": (NOW - timedelta(minutes=30)).replace(tzinfo=None)}).scalar()
        for aid in story_ids:
            conn.execute(text("INSERT INTO article_story (article_id, story_id, similarity) "
                              "VALUES (:a, :s, 0.9)"), {"a": aid, "s": story_id})
        for aid in story_ids[:2]:
            conn.execute(text("INSERT INTO article_tags (article_id, slug, display, score) "
                              "VALUES (:a, 'ceasefire', 'Ceasefire', 1.0)"), {"a": aid})
        conn.execute(text("INSERT INTO story_tags (story_id, slug, display, score) "
                          "VALUES (:s, 'ceasefire', 'Ceasefire', 1.0)"), {"s": story_id})
        conn.execute(text("INSERT INTO related (article_id, related_id, rank, score, reason) "
                          "VALUES (:a, :b, 1, 0.8, 'same story')"),
                     {"a": story_ids[0], "b": story_ids[1]})
    return {"settings": settings, "db": db, "sources": (kremlin, ukraine, voices),
            "story_id": story_id, "story_articles": story_ids, "hostile_id": hostile_id,
            "undated_id": undated_id, "plain_id": 1}


@pytest.fixture
def site(tmp_path):
    data = build_site(tmp_path, admin_password="correct horse")
    yield data
    data["db"].close()


@pytest.fixture
def client(site):
    from starlette.testclient import TestClient

    from newsdesk.web import create_app
    app = create_app(site["settings"], site["db"], refresher=lambda source: None)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def css(element, selector: str) -> list:
    """A small CSS subset as XPath (cssselect is not a dependency): ``tag``, ``.class``,
    ``#id``, ``[attr=value]``, descendant ``a b`` and child ``a > b``."""
    import re
    path, axis = ".", "//"
    for token in selector.replace(">", " > ").split():
        if token == ">":
            axis = "/"
            continue
        m = re.fullmatch(r"([\w-]*|\*)((?:[.#][\w-]+|\[[\w-]+=[^\]]+\])*)", token)
        if not m:
            raise ValueError(token)
        step, conds = m.group(1) or "*", []
        for part in re.findall(r"[.#][\w-]+|\[[\w-]+=[^\]]+\]", m.group(2)):
            if part[0] == ".":
                conds.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {part[1:]} ')")
            elif part[0] == "#":
                conds.append(f"@id='{part[1:]}'")
            else:
                name, value = part[1:-1].split("=", 1)
                conds.append(f"@{name}='{value.strip(chr(34))}'")
        path += axis + step + "".join(f"[{c}]" for c in conds)
        axis = "//"
    return element.xpath(path)
