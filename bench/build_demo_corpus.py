"""Build the bundled demo corpus (newsdesk/demo/data/) from ../shared/demo-corpus.

    .venv/bin/python bench/build_demo_corpus.py [--source DIR] [--out DIR]

The choice of articles and every change made to them is written down here, so the shipped
data can be rebuilt byte for byte (gzip with mtime 0, sorted keys). Nothing in newsdesk
reads ../shared at run time; it reads only what this script writes:

    articles.jsonl.gz           one JSON object per article (see ``record()``)
    globalvoices-feed.rss       the real Global Voices RSS feed, unchanged
    globalvoices-pages.jsonl.gz the 15 real Global Voices article pages {id, file, html}

Selection (window 2022-02-10..2022-03-10 plus the Global Voices week of 2009):
  * President of Russia and President of Ukraine: every article in the window;
  * The White House: statements, remarks, presidential actions and the blog, but not the
    press-briefing transcripts, signed-bill notes, nomination lists, background press
    calls, press gaggles, "what they are saying" compilations, corrected re-posts,
    observance proclamations, disaster declarations, delegation lists or the routine
    letters to Congress that repeat a notice;
  * Global Voices: all 15 articles, text taken from the feed's ``content:encoded``.
Changes: format conversion (CSV / Markdown / HTML to plain paragraphs), time-zone offsets
corrected (done upstream in demo-articles.jsonl), Kremlin lead prepended to the body,
paragraph breaks re-inserted at sentence boundaries where the scrape had lost them, and
texts over MAX_CHARS shortened at a paragraph boundary (not Global Voices, whose real
page is served whole).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_CHARS = 10_000          # longer texts are cut at a paragraph boundary
PARAGRAPH_SENTENCES = 3     # re-split paragraphs every few sentences ...
PARAGRAPH_CHARS = 450       # ... or once a paragraph is this long

WH_SKIP_SECTIONS = {"press-briefings", "legislation"}
WH_SKIP_TITLES = re.compile(
    r"Background Press Call|Press Gaggle|Nominations (and Withdrawals )?Sent to the Senate"
    r"|Announces (Key|\d+ Diplomatic) Nominees|Key Regional Appointments|WHAT THEY ARE SAYING"
    r"|Applaud President Biden|^CORRECTED:|Guest List|Proclamation|Disaster Declaration"
    r"|Presidential Delegation|Letter to the Speaker|Message to the Congress"
    r"|Letter to Certain Congressional", re.I)

WH_SECTIONS = {"statements-releases": "Statements and Releases", "blog": "Blog",
               "speeches-remarks": "Speeches and Remarks",
               "presidential-actions": "Presidential Actions"}
OUTLET_IDS = {"globalvoices-2009": "globalvoices"}
CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"
LICENCES = {
    "kremlin-en": ("CC BY 4.0", CC_BY_4, "Source: President of Russia, en.kremlin.ru, CC BY 4.0"),
    "president-ua-en": ("CC BY 4.0", CC_BY_4,
                        "Source: President of Ukraine, president.gov.ua, CC BY 4.0"),
    "whitehouse": ("Public domain", "https://creativecommons.org/publicdomain/mark/1.0/",
                   "Source: The White House, whitehouse.gov (archived at "
                   "bidenwhitehouse.archives.gov), public domain"),
    "globalvoices": ("CC BY 3.0", "https://creativecommons.org/licenses/by/3.0/",
                     "This story by {author} originally appeared on Global Voices, CC BY 3.0"),
}

# ------------------------------------------------------------------ paragraphs
ABBREVIATIONS = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|No|Nos|Jr|Sr|Gen|Col|Lt|vs|etc|e\.g|i\.e"
                           r"|Art|Prof|Sen|Rep|Gov|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|Dec)"
                           r"|\b[A-Z]|\b(?:[A-Z]\.){1,3}[A-Z])\.$")
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
SPEAKER = re.compile(r"^(?:(?:[A-Z][\w'.-]*|of|the|and|for)\s){0,8}[A-Z][\w'.-]*:\s")


def sentences(text: str) -> list[str]:
    out, start = [], 0
    for m in SENTENCE_END.finditer(text):
        head = text[start:m.start()].rstrip("\"')]")
        if ABBREVIATIONS.search(head[-12:]):
            continue
        out.append(text[start:m.start()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def resplit(block: str) -> list[str]:
    """Cut one run-on block into paragraphs of a few sentences; a speaker label
    ("Vladimir Putin: ...") always starts a new paragraph."""
    paragraphs: list[list[str]] = [[]]
    for sentence in sentences(block):
        current = paragraphs[-1]
        size = sum(len(s) for s in current)
        if current and (SPEAKER.match(sentence) or len(current) >= PARAGRAPH_SENTENCES
                        or size >= PARAGRAPH_CHARS):
            paragraphs.append(current := [])
        current.append(sentence)
    return [" ".join(p) for p in paragraphs if p]


def squash(text: str) -> str:
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]", "", text)
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def markdown_paragraphs(md: str) -> list[str]:
    """White House pandoc markdown_strict -> plain paragraphs (list items and hard line
    breaks become paragraphs of their own; struck-out words are dropped, bracketed
    corrections kept)."""
    md = re.sub(r"<s>.*?</s>", "", md, flags=re.S)
    md = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", md)          # [text](url) -> text
    md = re.sub(r"<(https?://[^>\s]+)>", r"\1", md)           # <url> -> url
    md = re.sub(r"</?[a-zA-Z][^>]*>", "", md)                 # <u>, <sup>, <span ...>
    md = md.replace("\\*", "\x00")
    md = re.sub(r"\*+", "", md).replace("\x00", "*")
    md = re.sub(r"\\([\\`*_{}\[\]()#+\-.!$&<>|\"'])", r"\1", md)
    md = re.sub(r"  +\n", "\n\n", md)                        # hard line breaks
    md = re.sub(r"\n\s*([-+]\s|\d+\.\s\s)\s*", r"\n\n\1", md)  # list items
    out = []
    for block in re.split(r"\n\s*\n", md):
        block = squash(block)
        block = re.sub(r"^(#+|[-+])\s+", "", block)
        if block and not re.fullmatch(r"[#\-|=_*\s]+", block):
            out.append(block)
    return out


def runon_paragraphs(text: str) -> list[str]:
    out = []
    for block in re.split(r"\n\s*\n", text):
        block = squash(block)
        if block:
            out.extend(resplit(block))
    return out


class _HTMLText(HTMLParser):
    BLOCKS = {"p", "div", "blockquote", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr",
              "ul", "ol", "table", "pre"}
    SKIP = {"script", "style", "object", "embed", "iframe"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP or (tag == "div" and "wp-caption" in (dict(attrs).get("class") or "")):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP or (tag == "div" and self.skip):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_paragraphs(html: str) -> list[str]:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    blocks = (squash(b) for b in re.split(r"\n\s*\n", "".join(parser.parts)))
    return [b for b in blocks if len(b) > 1]


def shorten(paragraphs: list[str]) -> tuple[list[str], bool]:
    kept, size = [], 0
    for p in paragraphs:
        if kept and size + len(p) > MAX_CHARS:
            return kept, True
        kept.append(p)
        size += len(p) + 2
    return kept, False


# ------------------------------------------------------------------ records
def record(row: dict, paragraphs: list[str], changes: list[str]) -> dict:
    outlet_id = OUTLET_IDS.get(row["outlet_id"], row["outlet_id"])
    # Global Voices is served as its real, whole page: its text is never shortened
    paragraphs, cut = shorten(paragraphs) if outlet_id != "globalvoices" else (paragraphs, False)
    if cut:
        changes = changes + ["shortened"]
    licence, licence_url, attribution = LICENCES[outlet_id]
    attribution = attribution.format(author=row.get("author") or "a Global Voices author")
    attribution += ". Changes: " + ", ".join(changes) + "."
    section = row.get("section")
    return {
        "id": row["id"], "outlet_id": outlet_id, "outlet": row["outlet"].split(" (")[0],
        "url": row["url"], "title": squash(row["title"]), "published": row["published"],
        "text": "\n\n".join(paragraphs), "author": row.get("author"),
        "licence": licence, "licence_url": licence_url, "attribution": attribution,
        "changes": changes, "excerpt": cut,
        "categories": row.get("categories") or ([WH_SECTIONS[section]] if section else []),
        "location": row.get("location"), "section": section,
    }


def keep(row: dict) -> bool:
    if row["outlet_id"] != "whitehouse":
        return True
    return row["section"] not in WH_SKIP_SECTIONS and not WH_SKIP_TITLES.search(row["title"])


def globalvoices(source: Path) -> tuple[dict[str, str], str]:
    """content:encoded of each feed item, keyed by the html file it links to."""
    feed = (source / "globalvoices-2009" / "feed.rss").read_text(encoding="utf-8")
    parsable = feed.replace("<BASE_WEBSITE_URL/>", "base:")
    ns = {"content": "http://purl.org/rss/1.0/modules/content/"}
    bodies = {}
    for item in ET.fromstring(parsable.encode()).iter("item"):
        name = item.findtext("link").removeprefix("base:gv/")
        bodies[name] = item.findtext("content:encoded", namespaces=ns)
    return bodies, feed


def build(source: Path, out: Path) -> dict[str, int]:
    rows = [json.loads(line) for line in (source / "demo-articles.jsonl").open(encoding="utf-8")]
    gv_bodies, gv_feed = globalvoices(source)
    records, pages = [], []
    for row in filter(keep, rows):
        if row["outlet_id"] == "whitehouse":
            rec = record(row, markdown_paragraphs(row["text"]), ["converted from Markdown"])
        elif row["outlet_id"] == "globalvoices-2009":
            name = Path(row["html_path"]).name
            html = (source / row["html_path"]).read_bytes().decode("utf-8")
            assert row["title"].split(":")[0] in html, row["html_path"]
            rec = record(row, html_paragraphs(gv_bodies[name]), ["converted from HTML"])
            pages.append({"id": row["id"], "file": name, "html": html})
        else:
            changes = ["converted from CSV", "time-zone offset corrected",
                       "paragraph breaks re-inserted"]
            if row["outlet_id"] == "kremlin-en":
                changes.insert(2, "lead prepended to the body")
            rec = record(row, runon_paragraphs(row["text"]), changes)
        records.append(rec)
    records.sort(key=lambda r: (r["published"], r["id"]))
    out.mkdir(parents=True, exist_ok=True)
    _write_gzip_jsonl(out / "articles.jsonl.gz", records)
    _write_gzip_jsonl(out / "globalvoices-pages.jsonl.gz", sorted(pages, key=lambda p: p["file"]))
    (out / "globalvoices-feed.rss").write_text(gv_feed, encoding="utf-8")
    counts: dict[str, int] = {}
    for r in records:
        counts[r["outlet_id"]] = counts.get(r["outlet_id"], 0) + 1
    return counts


def _write_gzip_jsonl(path: Path, rows: list[dict]) -> None:
    data = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(data.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "demo-corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "newsdesk" / "demo" / "data")
    args = parser.parse_args()
    counts = build(args.source, args.out)
    print(json.dumps({"articles": sum(counts.values()), "by_outlet": counts}))


if __name__ == "__main__":
    main()
