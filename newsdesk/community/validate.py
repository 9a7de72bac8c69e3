"""What a comment's text must be before anything is written: text, not empty, not too
long, no control characters or binary data."""

from __future__ import annotations

import unicodedata

from . import CommunityError

ALLOWED_CONTROL = {"\n", "\t"}


def validate_body(body: object, max_chars: int) -> str:
    """The comment text, normalised, or a ``CommunityError`` saying what is wrong."""
    if not isinstance(body, str):
        raise CommunityError("the comment must be text")
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise CommunityError("the comment is empty")
    if len(body) > max_chars:
        raise CommunityError(f"the comment is too long: {len(body)} characters, at most {max_chars}")
    for ch in body:
        cat = unicodedata.category(ch)
        if (cat == "Cc" and ch not in ALLOWED_CONTROL) or cat == "Cs" or ch in "\ufffe\uffff":
            raise CommunityError("the comment contains control characters or binary data; "
                                 "only plain text is accepted")
    if body.count("\ufffd") > 3:
        raise CommunityError("the comment looks like binary data; only plain text is accepted")
    return body
