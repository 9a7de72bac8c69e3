"""Stable identity for URLs and entries.

``canonical_url`` turns the many spellings of one address into one string (so the same
article shared with different tracking parameters is recognised), and ``entry_hash`` gives
every feed entry a key that survives refetches: the GUID when the feed has one, else the
canonical URL, else title + content (miniflux's order). Storage keys entries on
``(source_id, entry_hash)``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import SplitResult, unquote_plus, urljoin, urlsplit, urlunsplit

# Query parameters that only say where a click came from. Compared case-insensitively.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "mc_cid", "mc_eid", "ocid", "cmpid", "igshid", "igsh", "_ga", "_gl", "ref_src", "ref_url",
    "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "rb_clickid", "s_cid",
    "vero_conv", "vero_id", "wickedid", "_openstat", "__twitter_impression",
    "at_medium", "at_campaign", "guccounter", "guce_referrer", "guce_referrer_sig", "xtor",
})
TRACKING_PREFIXES = ("utm_", "hsa_", "pk_", "mtm_", "itm_")

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    key = unquote_plus(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    """Drop tracking parameters and sort the rest, keeping each pair's original encoding."""
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        name = piece.split("=", 1)[0]
        if _is_tracking(name):
            continue
        pairs.append(piece)
    # Sort on the decoded name, then the raw pair, so encodings of one name sort together.
    pairs.sort(key=lambda p: (unquote_plus(p.split("=", 1)[0]), p))
    return "&".join(pairs)


def _host(parts: SplitResult) -> str:
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # leave an unencodable host as written (lower-cased by urlsplit)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return host


def canonical_url(url: str) -> str:
    """Return one spelling of ``url``: lower-case scheme and host, no default port, no
    fragment, no tracking parameters, remaining query parameters sorted. Path case and
    percent-encoding are kept. Strings that are not absolute URLs come back stripped."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. a non-numeric port or broken IPv6 literal
        return url
    scheme = parts.scheme.lower()
    if not scheme or not parts.netloc:
        return url
    netloc = _host(parts)
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))


def resolve_url(base: str, link: str | None) -> str | None:
    """Absolute http(s) URL of ``link`` relative to ``base``, or None."""
    link = (link or "").strip()
    if not link:
        return None
    if link.startswith("feed:"):  # feed://host/x and feed:https://host/x
        link = link[5:].lstrip("/") if link.startswith("feed:http") else "http:" + link[5:]
    try:
        absolute = urljoin(base, link) if base else link
        parts = urlsplit(absolute)
    except ValueError:  # e.g. a broken IPv6 literal
        return None
    return absolute if parts.scheme in ("http", "https") and parts.netloc else None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(guid: str | None, url: str | None, title: str | None,
               content: str | None) -> str:
    """SHA-256 hex key of an entry: of the GUID if there is one, else of the canonical
    URL, else of title + content. The same inputs give the same key in every run."""
    if guid and guid.strip():
        return _sha256(guid.strip())
    if url and url.strip():
        return _sha256(canonical_url(url))
    return _sha256((title or "").strip() + (content or "").strip())


_SPACE = re.compile(r"\s+")


def content_hash(text: str) -> str:
    """SHA-256 hex of ``text`` after Unicode NFKC normalisation and whitespace collapsing,
    so re-wrapped or re-indented copies of the same text hash alike."""
    normal = unicodedata.normalize("NFKC", text or "")
    return _sha256(_SPACE.sub(" ", normal).strip())
