"""The bundled demo corpus: real articles from four publishers, read from package data.

``load_articles()`` returns every shipped article (built by ``bench/build_demo_corpus.py``
from ../shared/demo-corpus; see ATTRIBUTION.md for sources, licences and changes made).
``OUTLETS`` describes each publisher with a truthful label. ``rewritten_copy()`` makes the
distinct-but-similar copies the ingest benchmark uses to ingest many more pages than the
corpus holds.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import resources


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    label: str               # what kind of source this is, shown next to its name
    category: str
    language: str
    original_site: str       # the publisher's real site (articles link back to it)
    feed_format: str         # rss | atom | json: the format the replay server serves
    description: str
    attribution: str         # short credit for the source list
    nav: tuple[str, ...]     # menu items of the rendered site (boilerplate)


OUTLETS: dict[str, Outlet] = {o.id: o for o in (
    Outlet("kremlin-en", "President of Russia", "government source (Russia)", "politics", "en",
           "http://en.kremlin.ru", "rss", "News from the Russian President's website.",
           "President of Russia, en.kremlin.ru, CC BY 4.0",
           ("News", "Transcripts", "Trips", "Documents", "Multimedia")),
    Outlet("president-ua-en", "President of Ukraine", "government source (Ukraine)", "politics",
           "en", "https://www.president.gov.ua/en", "atom",
           "News from the official website of the President of Ukraine.",
           "President of Ukraine, president.gov.ua, CC BY 4.0",
           ("News", "Addresses", "Decrees", "Activities", "Contacts")),
    Outlet("whitehouse", "The White House", "government source (United States)", "politics",
           "en", "https://bidenwhitehouse.archives.gov/briefing-room",
           "json", "The briefing room of the White House (2022, archived).",
           "The White House, whitehouse.gov (archived), public domain",
           ("Briefing Room", "Statements and Releases", "Speeches and Remarks",
            "Presidential Actions", "Administration")),
    Outlet("globalvoices", "Global Voices", "citizen media", "world", "en",
           "http://globalvoicesonline.org", "rss",
           "Citizen media stories from around the world (June 2009).",
           "Global Voices, globalvoicesonline.org, CC BY 3.0",
           ("Home", "Countries", "Topics", "Authors", "About")),
)}


@dataclass(frozen=True)
class DemoArticle:
    id: str
    outlet_id: str
    outlet: str
    url: str                  # the original URL at the publisher
    title: str
    published: str            # ISO 8601 with the publisher's UTC offset
    text: str                 # plain text, paragraphs separated by a blank line
    licence: str
    licence_url: str
    attribution: str          # credit line to show beneath the article
    author: str | None = None
    categories: tuple[str, ...] = ()
    location: str | None = None
    section: str | None = None
    changes: tuple[str, ...] = ()
    excerpt: bool = False     # True when the text was shortened from the original
    copy: int = 0             # 0 for the real article, k for the k-th rewritten copy

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n\n")

    @property
    def published_at(self) -> datetime:
        return datetime.fromisoformat(self.published)

    @property
    def lead(self) -> str:
        return self.paragraphs[0]


def _data(name: str) -> bytes:
    return resources.files("newsdesk.demo").joinpath("data", name).read_bytes()


def _jsonl_gz(name: str) -> list[dict]:
    lines = gzip.decompress(_data(name)).decode("utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def load_articles(outlets: list[str] | None = None) -> list[DemoArticle]:
    """Every shipped article (of the given outlets), oldest first."""
    articles = []
    for row in _jsonl_gz("articles.jsonl.gz"):
        if outlets is not None and row["outlet_id"] not in outlets:
            continue
        row["categories"] = tuple(row.get("categories") or ())
        row["changes"] = tuple(row.get("changes") or ())
        articles.append(DemoArticle(**row))
    return articles


def load_globalvoices_pages() -> dict[str, tuple[str, str]]:
    """The real 2009 Global Voices article pages: article id -> (file name, html)."""
    return {row["id"]: (row["file"], row["html"])
            for row in _jsonl_gz("globalvoices-pages.jsonl.gz")}


def load_globalvoices_feed() -> str:
    """The real Global Voices RSS feed; item links are ``<BASE_WEBSITE_URL/>gv/index_N.html``."""
    return _data("globalvoices-feed.rss").decode("utf-8")


def rewritten_copy(article: DemoArticle, k: int, donor: DemoArticle) -> DemoArticle:
    """The k-th copy of an article for benchmarks: new id, URL and title; its paragraphs
    shuffled and interleaved with the donor's so the copy is not a near-duplicate."""
    rng = random.Random(f"{article.id}:{k}")
    own = rng.sample(article.paragraphs, len(article.paragraphs))
    other = donor.paragraphs[:max(1, len(own))]
    mixed = [p for pair in zip(own, other) for p in pair] + own[len(other):]
    sep = "&" if "?" in article.url else "?"
    published = article.published_at + timedelta(minutes=k)
    return replace(article, id=f"{article.id}-c{k}", url=f"{article.url}{sep}copy={k}",
                   title=f"{article.title} (copy {k})", text="\n\n".join(mixed),
                   published=published.isoformat(), copy=k,
                   changes=article.changes + ("rewritten copy for benchmarks",))
