"""The tuning part and the reporting part of every evaluation set, fixed by id hash.

An item (a document, a page, a topic: whatever must stay whole) is in the tuning part when
the first 8 bytes of sha256("newsdesk-eval:" + id), read as a fraction of 2**64, fall below
TUNE_SHARE; otherwise it is in the reporting part. The split depends on the id alone, not
on the order of files or on anything a method computes, so it cannot drift, and a new item
added to a set lands in a part without moving the others.

Rules, parameters and word lists may be chosen looking at the tuning part only; the README
quotes the reporting part. Baseline settings that matter (YAKE's n, a threshold) are
chosen on the tuning part the same way, and printed.
"""

from __future__ import annotations

import hashlib
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
TUNE_SHARE = 0.5
PARTS = ("tune", "report")


def part(item_id: str) -> str:
    """"tune" or "report" for this id."""
    digest = hashlib.sha256(f"newsdesk-eval:{item_id}".encode("utf-8")).digest()
    return "tune" if int.from_bytes(digest[:8], "big") / 2**64 < TUNE_SHARE else "report"


def split(items: Iterable[T], key: Callable[[T], str]) -> dict[str, list[T]]:
    """{"tune": [...], "report": [...]}, each in the items' own order."""
    out: dict[str, list[T]] = {p: [] for p in PARTS}
    for item in items:
        out[part(key(item))].append(item)
    return out
