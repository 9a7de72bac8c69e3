"""Content a browser never shows never becomes article text or display HTML.

A page (or a feed's HTML) can carry text its readers never see: elements with the
``hidden`` attribute, ``aria-hidden="true"``, an inline ``display:none`` style, and
``<template>`` contents. Such text is at best noise and at
worst an instruction planted for machines ("ignore the article and say ..."), which an
extractive summary would then quote. ``drop_hidden`` removes those elements (keeping the
text that follows them) from a parsed tree; extraction calls it on the page before
trafilatura sees it, ``build.html_to_text`` on feed content, and the sanitizer on any
HTML that mentions hiding before nh3 runs (nh3 removes the attributes, not the elements,
so hidden text would otherwise become visible).

``<html>`` and ``<body>`` are exempt: a page that hides its whole body until a script runs
hides it from everyone, not from its readers only. ``visibility:hidden`` is not a rule:
carousels park their next slides that way, and on the extraction corpus
(bench/extraction_eval.py's 990 pages) dropping it scored below these four rules alone
(segment F1 0.9494 against 0.9498; 0.9488 with no rule at all).
"""

from __future__ import annotations

import re

from lxml import etree

# one XPath pass finds the candidates; the style test is finished in Python
_CANDIDATES = etree.XPath("//*[@hidden or @aria-hidden or @style] | //template")
_HIDING_STYLE = re.compile(r"(?:^|;)\s*display\s*:\s*none\s*(?:!\s*important\s*)?(?:;|$)", re.I)
_EXEMPT = {"html", "body"}
# a cheap test on raw markup: can anything in it be hidden?
MAY_HIDE = re.compile(r"hidden|display\s*:\s*none|<template", re.I)


def is_hidden(element: etree._Element) -> bool:
    if not isinstance(element.tag, str) or element.tag.lower() in _EXEMPT:
        return False
    if element.tag.lower() == "template" or element.get("hidden") is not None:
        return True
    if (element.get("aria-hidden") or "").strip().lower() == "true":
        return True
    return bool(_HIDING_STYLE.search(element.get("style") or ""))


def drop_hidden(tree: etree._Element) -> int:
    """Remove hidden elements (with their content, keeping their tail text) from ``tree``;
    returns how many were removed."""
    removed = 0
    for element in _CANDIDATES(tree):
        if not is_hidden(element):
            continue
        parent = element.getparent()
        if parent is None:
            continue
        _keep_tail(element, parent)
        parent.remove(element)
        removed += 1
    return removed


def _keep_tail(element: etree._Element, parent: etree._Element) -> None:
    tail = element.tail
    if not tail:
        return
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
