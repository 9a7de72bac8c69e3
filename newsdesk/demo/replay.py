"""A local replay server for the demo corpus: real articles served as feeds and pages on
127.0.0.1, so ``newsdesk demo`` and the tests ingest through the real fetcher.

    with ReplayServer(limit=50) as server:        # binds a free port in a thread
        for source in server.sources():           # feed URLs to add as sources
            ...

Layout (``<site>`` is an outlet id, or ``<outlet>-copy<k>`` for benchmark copies)::

    /                           index of the demo sites, with rel=alternate feed links
    /robots.txt                 allows everything but /private/
    /sitemap.xml                sitemap index -> /<site>/sitemap.xml (news sitemaps)
    /opml                       every demo feed, grouped by category
    /<site>/                    home page with <link rel="alternate"> (feed discovery)
    /<site>/feed.xml            RSS 2.0  (kremlin-en; globalvoices: its real feed)
    /<site>/atom.xml            Atom 1.0 (president-ua-en)
    /<site>/feed.json           JSON Feed 1.1, full content (whitehouse)
    /<site>/articles/<id>.html  one article page

Feeds and pages carry ETag and Last-Modified and answer conditional requests with 304;
bodies are gzip-compressed when the client accepts it.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from ..errors import NotFound
from . import pages
from .corpus import (OUTLETS, DemoArticle, load_articles, load_globalvoices_feed,
                     load_globalvoices_pages, rewritten_copy)
from .pages import Site

HTML = "text/html; charset=utf-8"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str
    last_modified: datetime | None = None
    location: str | None = None       # for redirects


class ReplayServer:
    """Serve the demo corpus over HTTP on loopback.

    ``limit``: at most this many articles per outlet (the newest). ``outlets``: outlet ids
    to serve (default all, see ``OUTLETS``). ``multiply``: serve k sites per outlet, the
    real one plus k-1 rewritten copies (new ids, URLs, titles, mixed paragraphs), so a
    benchmark can ingest many more pages than the corpus holds.
    """

    def __init__(self, limit: int | None = None, outlets: list[str] | None = None,
                 multiply: int = 1, host: str = "127.0.0.1", port: int = 0):
        unknown = set(outlets or ()) - set(OUTLETS)
        if unknown:
            raise NotFound(f"no demo outlet {sorted(unknown)}; known: {sorted(OUTLETS)}")
        if multiply < 1 or (limit is not None and limit < 1):
            raise ValueError("multiply and limit must be at least 1")
        self.outlet_ids = [o for o in OUTLETS if outlets is None or o in outlets]
        self.multiply = multiply
        self._address = (host, port)
        self._answers: dict[str, Response] = {}
        by_outlet: dict[str, list[DemoArticle]] = {o: [] for o in self.outlet_ids}
        for article in load_articles(self.outlet_ids):
            by_outlet[article.outlet_id].append(article)
        self._articles = {o: (arts[-limit:] if limit else arts) for o, arts in by_outlet.items()}
        self._index = {o: {a.id: i for i, a in enumerate(arts)}
                       for o, arts in self._articles.items()}
        self._gv_pages = load_globalvoices_pages() if "globalvoices" in self.outlet_ids else {}
        self._gv_feed = load_globalvoices_feed() if self._gv_pages else ""
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._sites: dict[str, Site] = {}

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> "ReplayServer":
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(self._address, _Handler)
        httpd.replay = self
        host, port = httpd.server_address[:2]
        self._httpd, self.base_url = httpd, f"http://{host}:{port}"
        self._sites = {}
        for outlet_id in self.outlet_ids:
            for k in range(self.multiply):
                key = outlet_id if k == 0 else f"{outlet_id}-copy{k}"
                self._sites[key] = Site(key, OUTLETS[outlet_id], self.base_url, k)
        self._thread = threading.Thread(target=httpd.serve_forever, name="demo-replay",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------- content
    def sources(self) -> list[dict]:
        """One dict per served feed, ready for the demo command to add as a source."""
        self._require_started()
        return [{"url": s.feed_url, "site_url": s.home, "title": s.title,
                 "outlet_id": s.outlet.id, "category": s.outlet.category,
                 "language": s.outlet.language, "outlet_label": s.outlet.label,
                 "attribution": s.outlet.attribution, "feed_format": s.outlet.feed_format,
                 "copy": s.copy} for s in self._sites.values()]

    def articles(self, site_key: str | None = None) -> list[DemoArticle]:
        """Articles as served (oldest first): one site's, or every site's."""
        keys = [site_key] if site_key else list(self._sites or self.outlet_ids)
        return [a for key in keys for a in self._site_articles(key)]

    def article_url(self, article: DemoArticle) -> str:
        self._require_started()
        key = article.outlet_id + (f"-copy{article.copy}" if article.copy else "")
        return self._sites[key].article_url(article)

    def _site_articles(self, key: str) -> list[DemoArticle]:
        site = self._sites.get(key)
        outlet_id, k = (site.outlet.id, site.copy) if site else (key, 0)
        base = self._articles[outlet_id]
        if k == 0:
            return list(base)
        return [rewritten_copy(a, k, base[(i + k) % len(base)]) for i, a in enumerate(base)]

    def _find(self, site: Site, article_id: str) -> tuple[DemoArticle, list[DemoArticle]] | None:
        """The article and a few published around it (the "Related Articles" list)."""
        base = self._articles[site.outlet.id]
        wanted = article_id.removesuffix(f"-c{site.copy}") if site.copy else article_id
        i = self._index[site.outlet.id].get(wanted)
        if i is None or (site.copy and wanted == article_id):
            return None
        near = [i] + [j for j in (i - 1, i + 1, i - 2, i + 2, i - 3) if 0 <= j < len(base)]
        k = site.copy
        found = [rewritten_copy(base[j], k, base[(j + k) % len(base)]) if k else base[j]
                 for j in near]
        return found[0], found[1:]

    def respond(self, path: str) -> Response:
        """What the server answers to GET ``path`` (no socket involved). Pages are static,
        so answers are kept (bounded): a replayed site costs little CPU to serve."""
        cached = self._answers.get(path)
        if cached is None:
            cached = self._respond(path)
            if len(self._answers) < 20_000:
                self._answers[path] = cached
        return cached

    def _respond(self, path: str) -> Response:
        self._require_started()
        sites = list(self._sites.values())
        newest = max((a.published_at for arts in self._articles.values() for a in arts[-1:]),
                     default=None)
        if path == "/":
            return Response(200, pages.index_html(sites).encode(), HTML, newest)
        if path == "/robots.txt":
            return Response(200, pages.robots(self.base_url).encode(),
                            "text/plain; charset=utf-8", newest)
        if path == "/opml":
            return Response(200, pages.opml(sites, newest or datetime.now()).encode(),
                            "text/x-opml; charset=utf-8", newest)
        if path == "/sitemap.xml":
            lastmod = {s.key: self._articles[s.outlet.id][-1].published_at
                       + timedelta(minutes=s.copy) for s in sites if self._articles[s.outlet.id]}
            listed = [s for s in sites if s.key in lastmod]
            return Response(200, pages.sitemap_index(listed, lastmod).encode(),
                            "application/xml; charset=utf-8", newest)
        if path.startswith("/private/"):
            return Response(200, b"<!DOCTYPE html><title>Staff area</title><h1>Staff area</h1>"
                            b"<p>Robots are asked to stay out.</p>", HTML)
        parts = path.strip("/").split("/")
        site = self._sites.get(parts[0])
        if site is None:
            return _not_found()
        return self._site_response(site, parts[1:], path.endswith("/"))

    def _site_response(self, site: Site, rest: list[str], slash: bool) -> Response:
        if not rest and not slash:
            return Response(301, b"", HTML, location=site.home)
        if not rest:
            arts = self._site_articles(site.key)
            return Response(200, pages.home_html(site, arts).encode(), HTML, _last(arts))
        if rest == [pages.FEEDS[site.outlet.feed_format][0]]:
            arts = self._site_articles(site.key)
            if site.outlet.id == "globalvoices" and site.copy == 0:
                body = pages.globalvoices_feed(site, self._gv_feed, self._gv_urls(site))
            else:
                body = pages.feed(site, arts)
            return Response(200, body.encode(), f"{site.feed_type}; charset=utf-8", _last(arts))
        if rest == ["sitemap.xml"]:
            arts = self._site_articles(site.key)
            return Response(200, pages.news_sitemap(site, arts).encode(),
                            "application/xml; charset=utf-8", _last(arts))
        if len(rest) == 2 and rest[0] == "articles" and rest[1].endswith(".html"):
            found = self._find(site, rest[1].removesuffix(".html"))
            if found is None:
                return _not_found()
            article, related = found
            raw = self._gv_pages.get(article.id) if site.copy == 0 else None
            body = (pages.globalvoices_html(site, article, raw[1]) if raw
                    else pages.article_html(site, article, related))
            return Response(200, body.encode(), HTML, article.published_at)
        return _not_found()

    def _gv_urls(self, site: Site) -> dict[str, str]:
        """index_N.html -> our page URL, for the articles served (``limit``)."""
        return {self._gv_pages[a.id][0]: site.article_url(a)
                for a in self._articles["globalvoices"]}

    def _require_started(self) -> None:
        if self._httpd is None:
            raise RuntimeError("ReplayServer is not started; call start() or use `with`")


def _last(articles: list[DemoArticle]) -> datetime | None:
    return articles[-1].published_at if articles else None


def _not_found() -> Response:
    return Response(404, b"<!DOCTYPE html><title>Not found</title><h1>404 Not found</h1>", HTML)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    replay: ReplayServer

    def handle_error(self, request, client_address) -> None:
        """Dropped connections go to the log, not to stderr."""
        log.debug("demo replay connection error", exc_info=True,
                  extra={"client": client_address[0]})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "newsdesk-demo-replay/1.0"
    timeout = 15                                   # idle keep-alive connections close
    disable_nagle_algorithm = True                 # headers and body are separate writes
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def log_message(self, format: str, *args: object) -> None:
        """Library code does not print; requests are not logged."""

    def _serve(self, head: bool) -> None:
        try:
            resp = self.server.replay.respond(urlsplit(self.path).path)
        except Exception:
            log.exception("demo replay failed", extra={"url": self.path})
            resp = Response(500, b"<!DOCTYPE html><title>Error</title><h1>500</h1>", HTML)
        body = resp.body
        etag = f'W/"{hashlib.sha1(body).hexdigest()[:20]}"'
        modified = (format_datetime(resp.last_modified.astimezone(timezone.utc), usegmt=True)
                    if resp.last_modified else None)
        status = resp.status
        if status == 200 and _not_modified(self.headers, etag, resp.last_modified):
            status, body = 304, b""
        elif "gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 1024:
            body = gzip.compress(body, compresslevel=5, mtime=0)
        self.send_response(status)
        if resp.location:
            self.send_header("Location", resp.location)
        if status != 304:
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(body)))
            if body is not resp.body:
                self.send_header("Content-Encoding", "gzip")
        if resp.status == 200:
            self.send_header("Vary", "Accept-Encoding")
            self.send_header("ETag", etag)
            if modified:
                self.send_header("Last-Modified", modified)
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body)


def _not_modified(headers, etag: str, last_modified: datetime | None) -> bool:
    match = headers.get("If-None-Match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = headers.get("If-Modified-Since")
    if since and last_modified is not None:
        try:
            return last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False
