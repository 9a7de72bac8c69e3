"""Threaded comments on articles and stories.

``post`` reads top to bottom: validate the text -> render the markdown subset (sanitized)
-> score it for spam -> in one transaction: the author may post (exists, not banned),
the same submission is not stored twice (idempotency key, then a dedupe window on the
same text), the subject and the parent exist and the parent is not deleted, the rate
limits (per user, per IP) allow it -> insert as ``visible`` or ``pending`` (spam score
over the threshold, or pre-moderation of new accounts). Nothing is half-written: every
check runs before the one INSERT, inside the same transaction.

A comment is ``visible``, ``pending`` (in the moderation queue; shown to its author and
moderators only), ``hidden`` (by a moderator) or ``deleted`` (by its author: the text is
gone, a "[deleted]" placeholder keeps the replies in place). Threads show two levels
(comments and their replies); deeper replies load on demand (``replies``). The SQL is
``storage/comments.py``; the transactions are chosen here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..errors import ConstraintError, NotFound
from ..storage import comments as store
from ..storage.db import Database
from . import AuthError, CommunityError, Forbidden, RateLimited
from .accounts import User
from .common import from_db, utcnow
from .validate import validate_body
from .markdown import render
from .ratelimit import RateLimiter
from .spam import SpamFilter

from .record import SUBJECTS, Comment, _comment  # noqa: F401  (re-exported)


class Comments:
    def __init__(self, db: Database, *, spam: SpamFilter | None = None, max_chars: int = 10_000,
                 edit_window: int = 900, premoderate_new_accounts: bool = False,
                 trusted_after: int = 3, report_threshold: int = 3, dedupe_window: int = 120,
                 user_limits: tuple[tuple[int, int], ...] = ((5, 60), (60, 3600)),
                 ip_limits: tuple[tuple[int, int], ...] = ((20, 60), (300, 3600)),
                 report_limit: tuple[int, int] = (20, 3600), max_depth: int = 12,
                 replies_shown: int = 50):
        self.db = db
        self.spam = spam or SpamFilter()
        self.max_chars, self.edit_window = max_chars, edit_window
        self.premoderate, self.trusted_after = premoderate_new_accounts, trusted_after
        self.report_threshold, self.dedupe_window = report_threshold, dedupe_window
        self.user_limits, self.ip_limits, self.report_limit = user_limits, ip_limits, report_limit
        self.max_depth, self.replies_shown = max_depth, replies_shown
        self.limiter = RateLimiter()

    # ----------------------------------------------------------------- writing
    def post(self, user: User, subject_type: str, subject_id: int, body: object, *,
             parent_id: int | None = None, ip: str | None = None,
             idempotency_key: str | None = None) -> tuple[Comment, bool]:
        """Store a comment; returns (comment, created). ``created`` is False when this was
        a repeat of a submission already stored (same idempotency key or same text within
        the dedupe window): the stored comment is returned and nothing is written."""
        if subject_type not in SUBJECTS:
            raise CommunityError("comments are on articles or stories")
        text_ = validate_body(body, self.max_chars)
        html = render(text_)
        if not html.strip():
            raise CommunityError("the comment has no visible text")
        key = (idempotency_key or "").strip()[:64] or None
        verdict = self.spam.score(text_)
        now = utcnow()
        checks = [("user_id", user.id, self.user_limits, "you are posting too fast")]
        if ip:
            checks.append(("ip", ip[:64], self.ip_limits, "too many comments from your address"))
        windows = [(column, value, [now - timedelta(seconds=w) for _n, w in limits])
                   for column, value, limits, _what in checks]
        limit_sets = [(limits, what) for _c, _v, limits, what in checks if limits]
        with self.db.write() as conn:
            store.lock_author(conn, user.id)   # PostgreSQL: serialize this author's posts
            # One round trip for every read check: the author, a stored repeat, the subject,
            # the rate-limit windows (checked below in the same order as always).
            pre = store.precheck(self.db, conn, user.id, subject_type, subject_id, key=key,
                                 body=text_, since=now - timedelta(seconds=self.dedupe_window),
                                 windows=windows)
            status, role, found, subject_found = pre[0], pre[1], pre[2], pre[3]
            if status is None:
                raise AuthError("your account no longer exists; log in again")
            if status == "banned":
                raise Forbidden("your account is banned from commenting")
            author = {"status": status, "role": role}
            if found:
                return self._get(conn, found), False
            if subject_found is None:
                raise NotFound(f"no {subject_type} {subject_id}")
            depth, root_id = 0, None
            if parent_id is not None:
                parent = store.parent(conn, parent_id)
                if parent is None:
                    raise NotFound(f"no comment {parent_id} to reply to")
                if (parent.subject_type, parent.subject_id) != (subject_type, subject_id):
                    raise CommunityError("the reply and its parent comment are on different pages")
                if parent.status in ("deleted", "hidden"):
                    raise CommunityError("that comment was deleted; replies to it are closed")
                depth, root_id = parent.depth + 1, parent.root_id or parent_id
                if depth > self.max_depth:
                    raise CommunityError("this thread is too deep; reply further up")
            offset = 4
            for limits, what in limit_sets:
                width = 2 * len(limits)
                self._limits_verdict(pre[offset:offset + width], limits, now, what)
                offset += width
            reasons = list(verdict.reasons)
            held = verdict.suspicious and author["role"] == "reader"
            if not held and self.premoderate and author["role"] == "reader":
                trusted = store.visible_count(conn, user.id)
                if trusted < self.trusted_after:
                    held = True
                    reasons.append("new account (pre-moderation)")
            try:
                new_id = store.insert(
                    self.db, conn, subject_type=subject_type, subject_id=subject_id,
                    parent_id=parent_id, root_id=root_id, depth=depth, user_id=user.id, body=text_,
                    html=html, status="pending" if held else "visible", score=verdict.score,
                    reasons="; ".join(reasons) or None, ip=(ip or "")[:64] or None, key=key, now=now)
            except ConstraintError:   # a concurrent twin with the same key won the race
                raise CommunityError("this comment was submitted twice; it is stored once") from None
        return Comment(new_id, subject_type, subject_id, parent_id, depth, user.id, user.username,
                       text_, html, "pending" if held else "visible", verdict.score,
                       "; ".join(reasons) or None, 0, now, None), True

    @staticmethod
    def _limits_verdict(row, limits, now: datetime, what: str) -> None:
        for i, (limit, window) in enumerate(limits):
            count, oldest = row[2 * i] or 0, from_db(row[2 * i + 1])
            if count >= limit:
                wait = window - (now - oldest).total_seconds() if oldest else window
                raise RateLimited(f"{what}: try again in {int(wait) + 1} seconds", int(wait) + 1)

    def _author(self, conn, user_id: int) -> dict:
        row = store.author(conn, user_id)
        if row is None:
            raise AuthError("your account no longer exists; log in again")
        if row.status == "banned":
            raise Forbidden("your account is banned from commenting")
        return dict(row._mapping)

    def edit(self, user: User, comment_id: int, body: object) -> Comment:
        text_ = validate_body(body, self.max_chars)
        html = render(text_)
        if not html.strip():
            raise CommunityError("the comment has no visible text")
        verdict = self.spam.score(text_)
        with self.db.write() as conn:
            author = self._author(conn, user.id)
            current = self._get(conn, comment_id)
            if current.user_id != user.id:
                raise Forbidden("only the author can edit a comment")
            if current.status in ("deleted", "hidden"):
                raise CommunityError("this comment was deleted or hidden and can no longer be edited")
            if (utcnow() - current.created_at).total_seconds() > self.edit_window:
                raise Forbidden(f"comments can be edited for {self.edit_window // 60} minutes "
                                "after posting")
            status = current.status
            if verdict.suspicious and author["role"] == "reader":
                status = "pending"
            store.update(conn, comment_id, text_, html, status, verdict.score, utcnow())
            return self._get(conn, comment_id)

    def delete(self, user: User, comment_id: int) -> None:
        with self.db.write() as conn:
            current = self._get(conn, comment_id)
            if current.user_id != user.id:
                raise Forbidden("only the author can delete a comment (moderators hide them)")
            store.mark_deleted(conn, comment_id)

    def report(self, user: User, comment_id: int, reason: str) -> bool:
        """Report a comment; False when this reader reported it already. At
        ``report_threshold`` reports a visible comment is held for moderation."""
        reason = (reason or "").strip()
        if not reason:
            raise CommunityError("say why you report this comment")
        if len(reason) > 500:
            raise CommunityError("the reason is longer than 500 characters")
        with self.db.write() as conn:
            self._author(conn, user.id)
            current = self._get(conn, comment_id)
            if current.user_id == user.id:
                raise CommunityError("you cannot report your own comment")
            if current.status == "deleted":
                raise CommunityError("that comment was deleted")
            if store.has_reported(conn, comment_id, user.id):
                return False
            self.limiter.hit(conn, f"report:user:{user.id}", *self.report_limit,
                             what="you are reporting too many comments")
            store.add_report(conn, comment_id, user.id, reason, utcnow(), self.report_threshold)
        return True

    # ----------------------------------------------------------------- reading
    def get(self, comment_id: int) -> Comment:
        with self.db.read() as conn:
            return self._get(conn, comment_id)

    def _get(self, conn, comment_id: int) -> Comment:
        row = store.get(conn, comment_id)
        if row is None:
            raise NotFound(f"no comment {comment_id}")
        return _comment(row)

    def thread(self, subject_type: str, subject_id: int, viewer: User | None = None, *,
               limit: int = 10, after: int = 0, levels: int = 2, per_parent: int = 3) -> tuple[list[Comment], int | None]:
        """One page of top-level comments (oldest first) with ``levels - 1`` levels of
        replies; returns (comments, id to continue after, or None)."""
        with self.db.read() as conn:
            rows = store.roots(conn, subject_type, subject_id, after, limit + 1)
            roots = [_comment(r) for r in rows[:limit]]
            self._descend(conn, roots, levels - 1, per_parent)
        more = roots[-1].id if len(rows) > limit else None
        return _visible(roots, viewer), more

    def replies(self, comment_id: int, viewer: User | None = None, levels: int = 2) -> Comment:
        """A comment with ``levels`` levels of its replies (the "more replies" link)."""
        with self.db.read() as conn:
            top = self._get(conn, comment_id)
            self._descend(conn, [top], levels)
        shown = _visible([top], viewer)
        if not shown:
            raise NotFound(f"no comment {comment_id}")
        return shown[0]

    def _descend(self, conn, parents: list[Comment], levels: int,
                 per_parent: int | None = None) -> None:
        """Attach ``levels`` levels of replies (at most ``per_parent`` each, the rest
        counted in ``more_replies``), then count the replies one level further down."""
        per_parent = per_parent or self.replies_shown
        for _ in range(levels):
            if not parents:
                return
            by_id = {p.id: p for p in parents}
            rows = store.children(conn, list(by_id))
            parents = []
            for row in rows:
                child = _comment(row)
                parent = by_id[child.parent_id]
                if len(parent.children) >= per_parent:
                    parent.more_replies += child.status != "deleted"
                    continue
                parent.children.append(child)
                parents.append(child)
        if parents:
            counts = store.reply_counts(conn, [p.id for p in parents])
            by_id = {p.id: p for p in parents}
            for parent_id, n in counts:
                by_id[parent_id].more_replies = n

    def counts(self, subject_type: str, ids: list[int]) -> dict[int, int]:
        if not ids:
            return {}
        with self.db.read() as conn:
            return store.counts(conn, subject_type, ids)


def _visible(comments: list[Comment], viewer: User | None) -> list[Comment]:
    """What this viewer may see: pending only to its author and moderators, hidden only
    to moderators; a deleted or hidden comment with replies stays as a stub."""
    moderator = viewer is not None and viewer.is_moderator
    shown = []
    for c in comments:
        c.children = _visible(c.children, viewer)
        if c.status == "pending" and not (moderator or (viewer and viewer.id == c.user_id)):
            continue
        if c.status in ("deleted", "hidden") and not (c.status == "hidden" and moderator):
            if not c.children and not c.more_replies:
                continue
            c.placeholder = "[deleted]" if c.status == "deleted" else "[removed by a moderator]"
            c.body = c.html = ""
            c.username = None
        shown.append(c)
    return shown


def comment_counts(db: Database, story_ids: list[int]) -> dict[int, int]:
    """Visible comments per story: on the story itself and on its articles (front page)."""
    if not story_ids:
        return {}
    with db.read() as conn:
        return store.story_counts(conn, story_ids)
