"""The local news site and the files a new user would have at hand, for ``test_readme.py``.

The README's example addresses are served here: ``https://example.org/`` is a site whose
home page advertises its feed, ``/feed.xml`` is another section's feed, and the user's
``subscriptions.opml`` lists two more feeds (RSS and Atom) of the same site. Every feed
links real article pages (45 in all, each with its own text) and answers every request,
so a second fetch really fetches.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

from tests.servers import LoopbackServer, Response

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SECTIONS = {  # path of the feed -> (title, articles, format)
    "/rss.xml": ("Local Gazette", 20, "rss"),
    "/feed.xml": ("Local Gazette: World", 15, "rss"),
    "/region.xml": ("Region Daily", 5, "rss"),
    "/science.atom": ("Science Notes", 5, "atom"),
}
TOPICS = [
    ("harbour", "The harbour authority approved a new sea wall for the old port of Westmere",
     "Engineers said the foundations of the old wall had been weakened by decades of erosion"),
    ("rail", "The regional rail operator announced a timetable change for the coastal line",
     "Commuters complained that the late trains had been cancelled twice this month"),
    ("election", "The town council election drew the highest turnout in twenty years",
     "Counting went on through the night and the results were read out at dawn"),
    ("museum", "The city museum reopened its maritime gallery after a long restoration",
     "Curators restored more than four hundred ship models and navigation instruments"),
    ("budget", "The county budget for next year raises spending on schools and roads",
     "Opposition members said the plan relied on optimistic forecasts of tax receipts"),
]
START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def article_html(title: str, n: int, url: str) -> bytes:
    name, first, second = TOPICS[n % len(TOPICS)]
    paragraphs = [
        f"{first}, officials said on day {n} of the month, according to documents seen by reporters.",
        f"{second}. Residents quoted in report {n} asked for more information before the "
        f"next public meeting on the {name} plans.",
        f"The {name} office said it would publish a full account of decision {n} next week, "
        "and a public consultation will stay open until the end of the month.",
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} | Local '
            f'Gazette</title><link rel="canonical" href="{url}"></head><body><nav><a href="/">Home'
            f'</a></nav><article><h1>{title}</h1>{body}</article><footer>© Local Gazette</footer>'
            "</body></html>").encode()


OFFSETS = {path: sum(count for _, count, _ in list(SECTIONS.values())[:i])
           for i, path in enumerate(SECTIONS)}


def _entries(path: str) -> list[tuple[str, str, datetime, int]]:
    """(title, page path, date, number) of a section's articles."""
    slug = path.strip("/").split(".")[0]
    out = []
    for i in range(SECTIONS[path][1]):
        n = OFFSETS[path] + i
        title = f"{TOPICS[n % len(TOPICS)][0].title()} report {n}: {slug} desk"
        out.append((title, f"/{slug}/{i}", START + timedelta(hours=n), n))
    return out


def _feed(path: str, server: LoopbackServer) -> Response:
    title, _, kind = SECTIONS[path]
    entries = [(t, server.url(p), d) for t, p, d, _ in _entries(path)]
    if kind == "atom":
        items = "".join(f"<entry><title>{t}</title><link href='{u}'/><id>{u}</id>"
                        f"<updated>{d.isoformat()}</updated></entry>" for t, u, d in entries)
        body = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>{title}</title><id>{server.url(path)}</id>"
                f"<updated>{START.isoformat()}</updated>{items}</feed>")
        return Response(200, {"Content-Type": "application/atom+xml"}, body.encode())
    items = "".join(f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid>"
                    f"<pubDate>{format_datetime(d)}</pubDate></item>" for t, u, d in entries)
    body = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}'
            f"</title><link>{server.url('/')}</link>{items}</channel></rss>")
    return Response(200, {"Content-Type": "application/rss+xml"}, body.encode())


def start_site() -> LoopbackServer:
    server = LoopbackServer().start()
    server.routes["/"] = Response(200, {"Content-Type": "text/html"}, (
        '<!doctype html><html><head><title>Local Gazette</title><link rel="alternate" '
        'type="application/rss+xml" title="Local Gazette" href="/rss.xml"></head>'
        "<body><h1>Local Gazette</h1></body></html>").encode())
    server.routes["/robots.txt"] = Response(200, {"Content-Type": "text/plain"},
                                            b"User-agent: *\nAllow: /\n")
    for path in SECTIONS:
        server.routes[path] = (lambda p: lambda request: _feed(p, server))(path)
        for title, page_path, _, n in _entries(path):
            server.routes[page_path] = Response(200, {"Content-Type": "text/html; charset=utf-8"},
                                                article_html(title, n, server.url(page_path)))
    return server


def feed_requests(server: LoopbackServer) -> int:
    return sum(1 for p in server.paths() if p in SECTIONS)


def user_files(folder: Path, server: LoopbackServer) -> None:
    """What the README's commands name as if the user had them: subscriptions.opml,
    page.html, folder/ of saved pages, docs.jsonl."""
    (folder / "subscriptions.opml").write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>'
        '<outline text="Region"><outline type="rss" text="Region Daily" '
        f'xmlUrl="{server.url("/region.xml")}"/></outline>'
        f'<outline type="rss" text="Science Notes" xmlUrl="{server.url("/science.atom")}"/>'
        "</body></opml>", encoding="utf-8")
    (folder / "page.html").write_bytes(article_html("Saved page", 7, server.url("/saved")))
    (folder / "folder").mkdir(exist_ok=True)
    shutil.copy(FIXTURES / "pages" / "news_article.html", folder / "folder" / "story.html")
    shutil.copy(FIXTURES / "ai" / "story.jsonl", folder / "docs.jsonl")


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
