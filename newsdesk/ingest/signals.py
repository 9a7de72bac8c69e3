"""Page-level evidence for the extracted content that the content alone does not show.

Two signals read from the whole page, each cheap and computed only when needed:

- **the lead**: the page's own summary (meta/Open Graph/JSON-LD description) that is also
  shown verbatim in the page body belongs to the article. It is usually the standfirst or
  first paragraph, which extractors often skip because it sits outside the article
  container; when the extracted text lacks it, ``missing_lead`` returns it.
- **link lists**: short blocks whose whole text is the text of a link somewhere on the page
  are teaser headlines when two or more of them follow each other ("Related: <a>", "<a>",
  "<a>"); ``link_runs`` finds them. A single linked line is left alone (a linked heading or
  a "read the study" link inside an article is common).
- **link-dense widgets**: a short block that is nothing but several link or button labels
  of the page ("Share: Facebook X Telegram LinkedIn Email Copy link", "Teilen | Drucken")
  is a widget row, whatever its words and language; ``widget_rows`` finds them. This is the
  link-density test of boilerplate detectors (Kohlschütter et al. 2010; jusText): prose is
  written between links, a widget is nothing but links. When an extractor glued the widget
  into a paragraph ("16 February 2022 Share: Facebook X Telegram LinkedIn Email Copy link
  The two leaders..."), ``label_runs`` finds it inside the text: WIDGET_RUN or more labels
  in a row with nothing but spaces or separators between them (prose puts words, or at
  least commas and "and", between the things it links).
"""

from __future__ import annotations

import re

from lxml import etree

# the body's text in one C call (walking text nodes with an ancestor test costs ~10x);
# what scripts, styles and templates hold is counted apart
_BODY_TEXT = etree.XPath("string(/html/body)")
_HIDDEN_TEXT = etree.XPath("/html/body//*[self::script or self::style or self::noscript "
                           "or self::template]//text()")
_ELLIPSIS = re.compile(r"\s*(\.\.\.|…)$")
_LEAD_MIN = 40       # shorter descriptions are labels ("PDF: report") rather than a lead
_LINK_BLOCK_MAX = 200  # longer linked blocks are text, not teaser headlines
_WIDGET_MAX = 160      # a widget row is short; longer blocks are judged as text
_WIDGET_LINKS = 2      # at least this many distinct labels: one linked phrase is a citation
_LABELS = etree.XPath("//a|//button")
_WIDGET_RUN = 3        # labels in a row inside a paragraph
_RUN_GAP = r"[\s|·•/]*"  # what may separate the labels of a row
_SEPARATORS = " |·•/"


def _squash(text: str) -> str:
    return " ".join(text.split())


def missing_lead(tree: etree._Element, description: str | None, extracted: str) -> str | None:
    """The page description when the body shows it verbatim and ``extracted`` (whitespace
    normalised) does not contain it; a trailing ellipsis of a cut description is dropped."""
    lead = _ELLIPSIS.sub("", _squash(description or ""))
    if len(lead) < _LEAD_MIN or lead in extracted:
        return None
    shown = _squash(_BODY_TEXT(tree)).count(lead)
    if shown and shown > sum(_squash(text).count(lead) for text in _HIDDEN_TEXT(tree)):
        return lead
    return None


def link_runs(tree: etree._Element, texts: list[str]) -> set[int]:
    """Indexes of ``texts`` (whitespace-normalised blocks, in order) that are each a link
    text of the page and sit next to another such block."""
    short = [0 < len(text) <= _LINK_BLOCK_MAX for text in texts]
    if not any(a and b for a, b in zip(short, short[1:])):
        return set()  # no two short blocks in a row: skip reading the page's links
    links = {_squash(" ".join(anchor.itertext()) if len(anchor) else anchor.text or "")
             for anchor in tree.iter("a")}
    linked = [ok and text in links for ok, text in zip(short, texts)]
    return {index for index, flag in enumerate(linked)
            if flag and ((index > 0 and linked[index - 1])
                         or (index + 1 < len(linked) and linked[index + 1]))}


def page_labels(tree: etree._Element) -> list[str]:
    """The page's short link and button labels, whitespace-normalised, longest first."""
    labels = {_squash(" ".join(el.itertext())) for el in _LABELS(tree)}
    return sorted((lab for lab in labels if lab and len(lab) <= 40), key=len, reverse=True)


def label_runs(labels: list[str], text: str, least: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each run of ``least`` (default ``_WIDGET_RUN``) or more labels in a
    row inside ``text``, with nothing but spaces or separators between them, widened to a
    one- or two-word head ending in ":" before it ("Share:")."""
    least = least or _WIDGET_RUN
    present = [lab for lab in labels if lab in text]
    if len(present) < 2:
        return []
    one = "|".join(rf"(?<!\w){re.escape(lab)}(?!\w)" for lab in present)
    run = re.compile(rf"(?:[^\W\d_]+(?: [^\W\d_]+)?:\s*)?(?:{one})(?:{_RUN_GAP}(?:{one})){{{least - 1},}}")
    return [m.span() for m in run.finditer(text)]


def widget_rows(tree: etree._Element, texts: list[str]) -> set[int]:
    """Indexes of ``texts`` (whitespace-normalised blocks) that are short and nothing but
    ``_WIDGET_LINKS`` or more link or button labels of the page in a row (a "Share:" head
    allowed): prose that links two things has words between them."""
    short = [i for i, text in enumerate(texts) if 0 < len(text) <= _WIDGET_MAX]
    labels = page_labels(tree) if short else []
    found = set()
    for index in short:
        text = texts[index].strip(_SEPARATORS)
        if any(end - start == len(text) for start, end in label_runs(labels, text, _WIDGET_LINKS)):
            found.add(index)
    return found
