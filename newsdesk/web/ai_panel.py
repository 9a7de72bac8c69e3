"""The hook for the AI features panel: the one place the web layer asks for AI output.

``ai_panel(item)`` receives the page's article dict (``{"kind": "article", "id", "title",
...}``) or story dict (``{"kind": "story", "id", "title", ...}``) and returns ``None``
while nothing has been generated, or a dict the templates render::

    {"summary": "two or three sentences",                 # plain text, escaped on output
     "points": ["key point", ...],                         # optional
     "citations": [{"title": "...", "url": "/articles/12"}],   # optional, site-relative
     "model": "offline-extractive", "generated_at": datetime}  # optional

Pass another function to ``create_app(..., ai_panel=fn)`` to wire the AI stage in.
"""

from __future__ import annotations


def ai_panel(item: dict) -> dict | None:
    """No AI output yet: the panel shows an honest placeholder."""
    return None


def safe_panel(fn, item: dict) -> dict | None:
    """Call the hook; a failing AI stage must never break the page."""
    try:
        result = fn(item)
    except Exception:  # noqa: BLE001 -- the page is worth more than the panel
        import logging
        logging.getLogger(__name__).exception("ai panel failed", extra={"item": item.get("id")})
        return None
    return result if isinstance(result, dict) else None
