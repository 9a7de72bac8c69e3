"""What the replay server sends: article pages, home pages, feeds, sitemaps, OPML, robots.

Every function returns text; none does I/O. The government outlets get pages rendered
here in the shape of a real news site, so that extraction has something to do: a header
and menu, breadcrumbs, the article (``<h1>``, ``<time datetime>``, ``article:published_time``,
``rel=canonical`` to the ORIGINAL url, JSON-LD NewsArticle), then boilerplate an extractor
must drop (share buttons, related articles, an empty comments block, an "AI features" box,
a newsletter form) and a footer carrying the licence and attribution. Global Voices pages
are the publisher's real 2009 HTML with a canonical link and the attribution added.
Feeds come in three formats: RSS 2.0, Atom 1.0 and JSON Feed 1.1 (``Outlet.feed_format``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from html import escape

from .corpus import DemoArticle, Outlet

FEEDS = {  # format -> (file name, media type)
    "rss": ("feed.xml", "application/rss+xml"),
    "atom": ("atom.xml", "application/atom+xml"),
    "json": ("feed.json", "application/feed+json"),
}


@dataclass(frozen=True)
class Site:
    """One replayed site: an outlet (or the k-th benchmark copy of it) under /<key>/."""
    key: str
    outlet: Outlet
    base: str
    copy: int = 0

    @property
    def home(self) -> str:
        return f"{self.base}/{self.key}/"

    @property
    def title(self) -> str:
        return self.outlet.name + (f" (copy {self.copy})" if self.copy else "")

    @property
    def feed_url(self) -> str:
        return self.home + FEEDS[self.outlet.feed_format][0]

    @property
    def feed_type(self) -> str:
        return FEEDS[self.outlet.feed_format][1]

    def article_url(self, article: DemoArticle) -> str:
        return f"{self.home}articles/{article.id}.html"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _human(dt: datetime) -> str:
    return f"{dt.day} {dt:%B %Y, %H:%M}"


def _css() -> str:
    return ("<style>body{font-family:Georgia,serif;max-width:60rem;margin:auto;padding:0 1rem}"
            "header nav ul,footer ul,.breadcrumbs ol{list-style:none;display:flex;gap:1rem;"
            "padding:0}.meta{color:#555}aside,.comments{border-top:1px solid #ccc;margin-top:2rem}"
            "footer{font-size:.85rem;color:#444;border-top:2px solid #222;margin-top:3rem}</style>")


def _head(title: str, site: Site, extra: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="{site.outlet.language}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(title)}</title>\n"
            f'<link rel="alternate" type="{site.feed_type}" title="{_e(site.title)}" '
            f'href="{_e(site.feed_url)}">\n{extra}{_css()}\n</head>\n')


def _header(site: Site) -> str:
    items = "".join(f'<li><a href="{site.home}#{_e(n.lower().replace(" ", "-"))}">{_e(n)}</a></li>'
                    for n in site.outlet.nav)
    return (f'<header class="site-header">\n<a class="logo" href="{site.home}">{_e(site.title)}</a>\n'
            f'<nav class="main-menu" aria-label="Main menu"><ul>{items}</ul></nav>\n'
            f'<form class="search" action="{site.home}search"><input name="q" '
            f'placeholder="Search"><button>Search</button></form>\n</header>\n')


def _footer(site: Site, article: DemoArticle | None = None) -> str:
    credit = ""
    if article is not None:
        note = (" This is an excerpt; the full text is at the original." if article.excerpt else "")
        credit = (f'<p class="attribution">{_e(article.attribution)} '
                  f'<a href="{_e(article.url)}">Original article</a> · '
                  f'<a rel="license" href="{_e(article.licence_url)}">{_e(article.licence)}</a>.'
                  f"{_e(note)}</p>\n")
    return (f'<footer class="site-footer">\n{credit}'
            f'<p>Replayed for the newsdesk demo from {_e(site.outlet.original_site)} '
            f"({_e(site.outlet.label)}); not affiliated with the publisher.</p>\n"
            f'<ul><li><a href="{site.home}#about">About</a></li><li><a href="{site.home}#contacts">'
            f'Contacts</a></li><li><a href="{site.home}#copyright">Copyright</a></li>'
            f'<li><a href="{site.base}/private/">Staff login</a></li></ul>\n</footer>\n')


def _json_ld(site: Site, a: DemoArticle) -> str:
    publisher = {"@type": "Organization", "name": site.outlet.name, "url": site.outlet.original_site}
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": a.title,
            "datePublished": a.published, "dateModified": a.published, "url": a.url,
            "mainEntityOfPage": a.url, "inLanguage": site.outlet.language,
            "author": {"@type": "Person", "name": a.author} if a.author else publisher,
            "publisher": publisher, "license": a.licence_url,
            "articleSection": a.categories[0] if a.categories else site.outlet.category}
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>\n'


def article_html(site: Site, a: DemoArticle, related: list[DemoArticle]) -> str:
    """A realistic article page for the government outlets (and benchmark copies)."""
    dt = a.published_at
    meta = (f'<link rel="canonical" href="{_e(a.url)}">\n'
            f'<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{_e(a.title)}">\n'
            f'<meta property="og:url" content="{_e(a.url)}">\n'
            f'<meta property="og:site_name" content="{_e(site.outlet.name)}">\n'
            f'<meta property="article:published_time" content="{_e(a.published)}">\n'
            f'<meta name="description" content="{_e(a.lead[:200])}">\n'
            + (f'<meta name="author" content="{_e(a.author)}">\n' if a.author else "")
            + _json_ld(site, a))
    section = a.categories[0] if a.categories else "News"
    byline = f' · <span class="byline">By {_e(a.author)}</span>' if a.author else ""
    place = f' · <span class="location">{_e(a.location)}</span>' if a.location else ""
    body = "\n".join(f"<p>{_e(p)}</p>" for p in a.paragraphs)
    tags = ", ".join(_e(c) for c in a.categories) or _e(site.outlet.category)
    rel = "".join(f'<li><a href="{site.article_url(r)}">{_e(r.title)}</a> '
                  f'<time datetime="{r.published}">{_human(r.published_at)}</time></li>\n'
                  for r in related)
    share = "".join(f'<a class="share-{n.lower()}" href="#share-{n.lower()}">{n}</a> '
                    for n in ("Facebook", "X", "Telegram", "LinkedIn", "Email"))
    return (_head(f"{a.title} • {site.title}", site, meta) + "<body>\n" + _header(site)
            + f'<nav class="breadcrumbs" aria-label="Breadcrumb"><ol><li><a href="{site.home}">'
            f'Home</a></li><li><a href="{site.home}#news">{_e(section)}</a></li>'
            f'<li aria-current="page">{_e(a.title[:60])}</li></ol></nav>\n<main>\n'
            f'<article class="news-article">\n<h1>{_e(a.title)}</h1>\n'
            f'<div class="meta"><time datetime="{a.published}">{_human(dt)}</time>{place}{byline}'
            f'</div>\n<div class="share">Share: {share}<button>Copy link</button></div>\n'
            f'<div class="article-body">\n{body}\n</div>\n<p class="tags">Topics: {tags}</p>\n'
            f'</article>\n<aside class="related"><h2>Related Articles</h2>\n<ul>\n{rel}</ul></aside>\n'
            '<section class="comments" id="comments"><h2>Comments</h2>\n'
            "<p>No comments yet. Be the first to share your thoughts.</p>\n"
            '<form><textarea name="comment" placeholder="Write a comment..."></textarea>'
            "<button>Post comment</button></form></section>\n"
            '<aside class="ai-box"><h2>Try Our AI Features</h2><p>Get a one-click summary, '
            "key points and a translation of this article.</p><button>Summarize this article"
            "</button></aside>\n"
            '<aside class="newsletter"><h2>Newsletter</h2><p>Get the top stories in your inbox '
            'every morning.</p><form><input type="email" name="email" placeholder="you@example.org">'
            "<button>Subscribe</button></form></aside>\n</main>\n"
            + _footer(site, a) + "</body>\n</html>\n")


def globalvoices_html(site: Site, a: DemoArticle, raw: str) -> str:
    """The real page, plus a canonical link to the original and the attribution footer."""
    canonical = f'\n<link rel="canonical" href="{_e(a.url)}" />'
    page = re.sub(r"<head>", lambda m: m.group(0) + canonical, raw, count=1)
    footer = _footer(site, a).replace("<footer ", '<footer id="demo-attribution" ')
    return re.sub(r"</body>", lambda m: footer + m.group(0), page, count=1)


def home_html(site: Site, articles: list[DemoArticle]) -> str:
    items = "".join(f'<li><a href="{site.article_url(a)}">{_e(a.title)}</a> <time datetime='
                    f'"{a.published}">{_human(a.published_at)}</time><p>{_e(a.lead[:240])}</p></li>\n'
                    for a in reversed(articles[-30:]))
    return (_head(site.title, site) + "<body>\n" + _header(site)
            + f'<main><h1>{_e(site.title)}</h1><p>{_e(site.outlet.description)}</p>\n'
            f'<h2 id="news">Latest</h2><ul class="latest">\n{items}</ul>\n'
            f'<p><a href="{_e(site.feed_url)}">Subscribe to the feed</a></p></main>\n'
            + _footer(site) + "</body>\n</html>\n")


def index_html(sites: list[Site]) -> str:
    links = "".join(f'<link rel="alternate" type="{s.feed_type}" title="{_e(s.title)}" '
                    f'href="{_e(s.feed_url)}">\n' for s in sites)
    rows = "".join(f'<li><a href="{s.home}">{_e(s.title)}</a> ({_e(s.outlet.label)}) · '
                   f'<a href="{_e(s.feed_url)}">feed</a></li>\n' for s in sites)
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>newsdesk demo sources</title>\n{links}</head><body><h1>newsdesk demo sources"
            f'</h1><ul>\n{rows}</ul><p><a href="/opml">OPML</a> · <a href="/sitemap.xml">Sitemap'
            "</a></p></body></html>\n")


# ------------------------------------------------------------------------ feeds
def _updated(articles: list[DemoArticle]) -> datetime:
    return articles[-1].published_at if articles else datetime(2022, 3, 10, tzinfo=timezone.utc)


def rss(site: Site, articles: list[DemoArticle]) -> str:
    items = "".join(
        f"<item>\n<title>{_e(a.title)}</title>\n<link>{_e(site.article_url(a))}</link>\n"
        f'<guid isPermaLink="false">{_e(a.url)}</guid>\n'
        f"<pubDate>{format_datetime(a.published_at)}</pubDate>\n"
        + "".join(f"<category>{_e(c)}</category>\n" for c in a.categories)
        + (f"<dc:creator>{_e(a.author)}</dc:creator>\n" if a.author else "")
        + f"<description>{_e(a.lead)}</description>\n</item>\n" for a in reversed(articles))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
            'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            f"<channel>\n<title>{_e(site.title)}</title>\n<link>{site.home}</link>\n"
            f"<description>{_e(site.outlet.description)}</description>\n"
            f"<language>{site.outlet.language}</language>\n"
            f"<lastBuildDate>{format_datetime(_updated(articles))}</lastBuildDate>\n"
            f'<atom:link href="{_e(site.feed_url)}" rel="self" type="application/rss+xml"/>\n'
            f"{items}</channel>\n</rss>\n")


def atom(site: Site, articles: list[DemoArticle]) -> str:
    entries = "".join(
        f"<entry>\n<id>{_e(a.url)}</id>\n<title>{_e(a.title)}</title>\n"
        f'<link rel="alternate" type="text/html" href="{_e(site.article_url(a))}"/>\n'
        f"<published>{a.published}</published>\n<updated>{a.published}</updated>\n"
        f"<summary>{_e(a.lead)}</summary>\n</entry>\n" for a in reversed(articles))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            f'xml:lang="{site.outlet.language}">\n<id>{_e(site.feed_url)}</id>\n'
            f"<title>{_e(site.title)}</title>\n<subtitle>{_e(site.outlet.description)}</subtitle>\n"
            f"<updated>{_updated(articles).isoformat()}</updated>\n"
            f"<author><name>{_e(site.outlet.name)}</name></author>\n"
            f'<link rel="alternate" type="text/html" href="{site.home}"/>\n'
            f'<link rel="self" type="application/atom+xml" href="{_e(site.feed_url)}"/>\n'
            f"{entries}</feed>\n")


def json_feed(site: Site, articles: list[DemoArticle]) -> str:
    items = [{"id": a.url, "url": site.article_url(a), "external_url": a.url, "title": a.title,
              "summary": a.lead, "date_published": a.published, "tags": list(a.categories),
              "content_html": "".join(f"<p>{_e(p)}</p>" for p in a.paragraphs),
              "authors": [{"name": a.author or site.outlet.name}]} for a in reversed(articles)]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": site.title,
            "home_page_url": site.home, "feed_url": site.feed_url,
            "description": site.outlet.description, "language": site.outlet.language,
            "authors": [{"name": site.outlet.name, "url": site.outlet.original_site}],
            "items": items}
    return json.dumps(feed, ensure_ascii=False, indent=1) + "\n"


def feed(site: Site, articles: list[DemoArticle]) -> str:
    return {"rss": rss, "atom": atom, "json": json_feed}[site.outlet.feed_format](site, articles)


def globalvoices_feed(site: Site, raw: str, urls: dict[str, str]) -> str:
    """The real GV feed with ``<BASE_WEBSITE_URL/>gv/index_N.html`` pointed at our pages
    (``urls`` maps index_N.html to a page URL; items not in it are left out) and its self
    link at our feed URL."""
    def item(m: re.Match) -> str:
        link = re.search(r"<BASE_WEBSITE_URL/>gv/(index_\d+\.html)", m.group(0))
        if link is None or link.group(1) not in urls:
            return ""
        return m.group(0).replace(link.group(0), _e(urls[link.group(1)]))
    raw = re.sub(r"[ \t]*<item>.*?</item>\s*", item, raw, flags=re.S)
    return re.sub(r'(<atom:link href=")[^"]*(" rel="self")',
                  lambda m: m.group(1) + _e(site.feed_url) + m.group(2), raw, count=1)


# --------------------------------------------------------------- site furniture
def robots(base: str) -> str:
    return f"User-agent: *\nDisallow: /private/\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"


def sitemap_index(sites: list[Site], lastmod: dict[str, datetime]) -> str:
    rows = "".join(f"<sitemap><loc>{s.home}sitemap.xml</loc>"
                   f"<lastmod>{lastmod[s.key].isoformat()}</lastmod></sitemap>\n" for s in sites)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<sitemapindex '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</sitemapindex>\n')


def news_sitemap(site: Site, articles: list[DemoArticle]) -> str:
    rows = "".join(
        f"<url><loc>{_e(site.article_url(a))}</loc><lastmod>{a.published}</lastmod>"
        f"<news:news><news:publication><news:name>{_e(site.title)}</news:name>"
        f"<news:language>{site.outlet.language}</news:language></news:publication>"
        f"<news:publication_date>{a.published}</news:publication_date>"
        f"<news:title>{_e(a.title)}</news:title></news:news></url>\n" for a in reversed(articles))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<urlset '
            'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            f"{rows}</urlset>\n")


def opml(sites: list[Site], created: datetime) -> str:
    groups: dict[str, list[Site]] = {}
    for s in sites:
        groups.setdefault(s.outlet.category, []).append(s)
    body = "".join(
        f'<outline text="{_e(cat)}" title="{_e(cat)}">\n'
        + "".join(f'  <outline type="rss" text="{_e(s.title)}" title="{_e(s.title)}" '
                  f'xmlUrl="{_e(s.feed_url)}" '
                  f'htmlUrl="{_e(s.home)}" category="{_e(cat)}" '
                  f'language="{s.outlet.language}" description="{_e(s.outlet.label)}"/>\n'
                  for s in members)
        + "</outline>\n" for cat, members in sorted(groups.items()))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">\n<head><title>newsdesk '
            f"demo feeds</title><dateCreated>{format_datetime(created)}</dateCreated></head>\n"
            f"<body>\n{body}</body>\n</opml>\n")
