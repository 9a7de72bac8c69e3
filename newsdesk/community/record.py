"""A comment as stored and shown: the record made from a row of ``storage/comments.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..storage.comments import SUBJECTS  # noqa: F401  (re-exported: what may be commented)
from .common import from_db, utcnow


@dataclass
class Comment:
    id: int
    subject_type: str
    subject_id: int
    parent_id: int | None
    depth: int
    user_id: int | None
    username: str | None
    body: str
    html: str
    status: str
    spam_score: float
    spam_reasons: str | None
    report_count: int
    created_at: datetime
    edited_at: datetime | None
    children: list["Comment"] = field(default_factory=list)
    more_replies: int = 0          # replies not loaded (deeper than the levels shown)
    placeholder: str | None = None  # "[deleted]" / "[removed by a moderator]" when shown as a stub

    def editable(self, window: int) -> bool:
        return (self.status in ("visible", "pending")
                and (utcnow() - self.created_at).total_seconds() < window)

    @property
    def author(self) -> str:
        return self.username or "[deleted account]"

    def to_dict(self) -> dict:
        return {"id": self.id, "subject": f"{self.subject_type}:{self.subject_id}",
                "parent_id": self.parent_id, "author": None if self.placeholder else self.author,
                "html": "" if self.placeholder else self.html, "status": self.status,
                "placeholder": self.placeholder, "created_at": self.created_at,
                "edited_at": self.edited_at, "more_replies": self.more_replies,
                "replies": [c.to_dict() for c in self.children]}


def _comment(row) -> Comment:
    m = row._mapping
    return Comment(m["id"], m["subject_type"], m["subject_id"], m["parent_id"], m["depth"],
                   m["user_id"], m["username"], m["body"], m["html"], m["status"],
                   m["spam_score"], m["spam_reasons"], m["report_count"],
                   from_db(m["created_at"]), from_db(m["edited_at"]))
