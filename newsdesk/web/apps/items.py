"""Ids and items as apps see them: item id forms, stream ids, and the item objects of the
Google Reader API (the Fever API reuses the HTML).

Item ids are article ids. Clients send them in several forms, all accepted:

    tag:google.com,2005:reader/item/000000000000012c   long form, 16 hex digits
    tag:google.com,2005:reader/item/12c                 long form without padding (NetNewsWire)
    000000000000012c                                    bare 16 hex digits (Read You, Fluent Reader)
    300                                                 short form, signed decimal
"""

from __future__ import annotations

from datetime import datetime

from markupsafe import escape

from .greader_auth import APIError

LONG_PREFIX = "tag:google.com,2005:reader/item/"
STATE = "user/-/state/com.google/"
READING_LIST, READ, STARRED = STATE + "reading-list", STATE + "read", STATE + "starred"
KEPT_UNREAD = STATE + "kept-unread"
HEX = set("0123456789abcdefABCDEF")


def parse_item_id(value: str) -> int:
    value = (value or "").strip()
    try:
        if value.startswith(LONG_PREFIX):
            digits = value[len(LONG_PREFIX):]
            if not 0 < len(digits) <= 16 or not set(digits) <= HEX:
                raise ValueError
            number = int(digits, 16)
        elif len(value) == 16 and set(value) <= HEX:
            number = int(value, 16)
        else:
            number = int(value, 10) & (2**64 - 1)       # the short form is signed
    except ValueError:
        raise APIError(400, f"not an item id: {value[:60]!r}") from None
    if number >= 2**63:
        raise APIError(400, f"not an item id: {value[:60]!r}")
    return number


def long_id(article_id: int) -> str:
    return f"{LONG_PREFIX}{article_id:016x}"


def normal_stream(stream: str) -> str:
    """``user/<anything>/...`` as ``user/-/...`` (clients send their user id or "-")."""
    if stream.startswith("user/"):
        parts = stream.split("/", 2)
        if len(parts) == 3:
            return f"user/-/{parts[2]}"
    return stream


def label_of(stream: str) -> str | None:
    stream = normal_stream(stream)
    return stream[len("user/-/label/"):] if stream.startswith("user/-/label/") else None


def usec(when: datetime | None) -> int:
    return int(when.timestamp() * 1_000_000) if when else 0


def web_link(url: str, article_id: int, base_url: str) -> str:
    """The article's own address when it is a web address, else its page here."""
    return url if url.startswith(("https://", "http://")) else f"{base_url}/articles/{article_id}"


def content_html(item: dict, base_url: str) -> str:
    """The item's HTML: the article (sanitized at ingest, or its text as paragraphs), its
    lead image when the HTML has none, and in "stories" mode the story and its other
    coverage ("also covered by"). Every value from a feed is escaped; f-strings rather
    than ``Markup.format`` because a sync renders a thousand of these."""
    body = item["html"] or "".join(f"<p>{escape(p)}</p>" for p in item["text"].split("\n") if p.strip())
    image = item.get("lead_image") or ""
    if image.startswith("https://") and "<img" not in body:
        body = f'<p><img src="{escape(image)}" alt=""></p>{body}'
    story = item.get("story")
    if not story:
        return body
    link = f"{base_url}/stories/{story['id']}"
    head = (f'<p><em>Story: <a href="{link}">{escape(story["title"])}</a> &middot; '
            f'{story["article_count"]} articles from {story["outlet_count"]} outlets</em></p>')
    others = story["others"]
    if not others:
        return head + body
    rows = "".join(f'<li><a href="{escape(web_link(o["url"], o["id"], base_url))}">{escape(o["outlet"])}'
                   f'</a>: {escape(o["title"])}</li>' for o in others)
    more = story["article_count"] - 1 - len(others)
    tail = (f'<p><a href="{link}">All {story["article_count"]} articles of this story</a></p>'
            if more > 0 else "")
    return f"{head}{body}<h4>Also covered by</h4><ul>{rows}</ul>{tail}"


def greader_item(item: dict, labels: dict[int, str], base_url: str) -> dict:
    """One item object as FreshRSS and Miniflux write it."""
    published = item["published_at"] or item["fetched_at"]
    categories = [READING_LIST]
    label = labels.get(item["source_id"])
    if label:
        categories.append(f"user/-/label/{label}")
    if item["read"]:
        categories.append(READ)
    if item["starred"]:
        categories.append(STARRED)
    title = item["title"]
    if item.get("story") and item["story"]["article_count"] > 1:
        title = f"{title} (+{item['story']['article_count'] - 1} more)"
    link = web_link(item["url"], item["id"], base_url)
    return {
        "id": long_id(item["id"]),
        "crawlTimeMsec": str(usec(item["fetched_at"]) // 1000),
        "timestampUsec": str(usec(item["fetched_at"])),
        "published": int(published.timestamp()) if published else 0,
        "updated": int(published.timestamp()) if published else 0,
        "title": title,
        "author": ", ".join(item["authors"]),
        "categories": categories,
        "canonical": [{"href": link}],
        "alternate": [{"href": link, "type": "text/html"}],
        "summary": {"direction": "ltr", "content": content_html(item, base_url)},
        "origin": {"streamId": f"feed/{item['source_id']}", "title": item["outlet"],
                   "htmlUrl": item["site_url"]},
    }
