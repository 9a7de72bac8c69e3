"""Plain records passed between the pipeline stages. No behaviour, no database."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass
class Source:
    id: int
    url: str
    kind: str = "feed"                 # feed | sitemap | page
    site_url: str | None = None
    title: str | None = None
    category: str | None = None
    language: str | None = None
    outlet_label: str | None = None
    attribution: str | None = None
    poll_interval: int | None = None
    enabled: bool = True
    full_text: bool = True
    etag: str | None = None
    last_modified: str | None = None
    next_check_at: datetime | None = None
    last_checked_at: datetime | None = None
    last_success_at: datetime | None = None
    error_count: int = 0
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    created_at: datetime | None = None
    retry_after: datetime | None = None   # Retry-After of a 429/503: not even a manual refresh before

    @property
    def name(self) -> str:
        return self.title or self.url

    def to_dict(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in asdict(self).items()}


@dataclass
class Article:
    id: int
    source_id: int
    entry_hash: str
    title: str
    text: str
    fetched_at: datetime
    extraction: str                    # "page" (extracted from the page) | "feed" (feed content)
    guid: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    summary: str | None = None
    html: str | None = None
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None
    language: str | None = None
    lead_image: str | None = None
    extraction_note: str | None = None
    word_count: int = 0
    content_hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in asdict(self).items()}
