"""Reading documents from JSON lines: one object per line with ``date`` (ISO date or
datetime; ``published`` is accepted too), ``outlet``, ``title``, ``text`` and optionally
``id`` (defaults to the line number) and ``outlet_label``. Ids must be unique: every
citation names a document by its id, so two documents with one id are an error."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from ..errors import NewsdeskError
from .model import Doc

REQUIRED = ("date", "outlet", "title", "text")


class DocsInputError(NewsdeskError):
    """The input file is missing or a line is not a usable document."""


def parse_date(value: object) -> date | datetime:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(value)
    text = value.strip().replace("Z", "+00:00")
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


def doc_from_mapping(row: dict, default_id: str) -> Doc:
    if "date" not in row and "published" in row:
        row = {**row, "date": row["published"]}
    missing = [k for k in REQUIRED if k not in row or row[k] is None]
    if missing:
        raise DocsInputError(f"missing field(s): {', '.join(missing)}")
    try:
        when = parse_date(row["date"])
    except ValueError:
        raise DocsInputError(f"bad date {row['date']!r} (use YYYY-MM-DD or an ISO datetime)") from None
    for key in ("outlet", "title", "text"):
        if not isinstance(row[key], str):
            raise DocsInputError(f"field {key!r} must be a string")
    label = row.get("outlet_label")
    return Doc(id=str(row.get("id", default_id)), date=when, outlet=row["outlet"], title=row["title"],
               text=row["text"], outlet_label=str(label) if label else None)


def load_jsonl(path: str | Path) -> list[Doc]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DocsInputError(f"input file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DocsInputError(f"cannot read {path}: {exc}") from None
    docs = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise DocsInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DocsInputError(f"{path}:{number}: expected a JSON object")
        try:
            doc = doc_from_mapping(row, str(number))
        except DocsInputError as exc:
            raise DocsInputError(f"{path}:{number}: {exc}") from None
        if doc.id in seen:
            raise DocsInputError(f"{path}:{number}: duplicate id {doc.id!r} (first on line {seen[doc.id]}); "
                                 "citations name documents by id, so ids must be unique")
        seen[doc.id] = number
        docs.append(doc)
    if not docs:
        raise DocsInputError(f"{path}: no documents")
    return docs
