"""What counts as live markup, for the tests that feed newsdesk hostile input: anything in
served HTML that could run, load or navigate on its own."""

from __future__ import annotations

import html as htmllib
import re

from lxml import html as lxml_html

BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
URL_ATTRS = {"href", "src", "action", "formaction", "srcset", "data", "poster", "background",
             "cite", "xlink:href", "ping", "lowsrc", "dynsrc"}
LIVE_TAGS = {"iframe", "object", "embed", "frame", "frameset", "applet", "base", "style",
             "svg", "math", "link", "meta", "form", "input", "button", "textarea", "select"}


def live_markup(markup: str, *, page: bool = False) -> list[str]:
    """What in ``markup`` could run, load or navigate: scripts (other than our own static
    ones on a full page), event handlers, script URLs, frames, plugins, styles, bases."""
    if not markup or "<" not in markup:
        return []
    markup = BAD_CHARS.sub("", markup)  # lxml refuses them; they are not markup
    tree = (lxml_html.document_fromstring(markup) if page
            else lxml_html.fragment_fromstring(markup, create_parent="div"))
    found = []
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag == "script":
            if not (page and el.get("src", "").startswith("/static/") and not (el.text or "").strip()):
                found.append(f"<script {dict(el.attrib)}>{(el.text or '')[:40]}")
        elif tag in LIVE_TAGS and not (page and _ours(el)):  # our pages draw charts in SVG
            found.append(f"<{tag} {dict(el.attrib)}>")
        for name, value in el.attrib.items():
            name = name.lower()
            if name.startswith("on") or (name == "style" and not page):
                found.append(f"<{tag} {name}={value[:40]!r}>")
            if name in URL_ATTRS:
                plain = re.sub(r"[\s\x00-\x20]", "", htmllib.unescape(value)).lower()
                if plain.startswith(("javascript:", "vbscript:", "data:")):
                    found.append(f"<{tag} {name}={value[:40]!r}>")
    return found


def _ours(el) -> bool:
    """Our own page furniture: stylesheet/icon links and meta tags in <head>, our forms."""
    tag = el.tag.lower()
    if tag == "link":
        return el.get("href", "").startswith(("/", "http://127.0.0.1"))
    if tag == "meta":   # a refresh is ours only when it reloads this page (AI still in progress,
        # without JavaScript): a bare delay, no URL to send the reader elsewhere
        return (el.get("http-equiv", "").lower() != "refresh"
                or el.get("content", "").strip().isdigit())
    if tag == "svg":  # our charts; the attribute checks still apply to every element
        return True
    if tag in ("form", "input", "button", "textarea", "select"):
        action = el.get("action")
        return action is None or action.startswith(("/", "#", "?"))
    return False


