"""A careful sentence splitter for news text in English, Spanish, French and Italian.

Sentences are split once per document and addressed as (doc id, sentence index), so every
AI output can cite the exact stored sentence it came from.

What it handles: abbreviations ("Mr.", "Sra.", "Mme.", "Dott.", "etc."), dotted acronyms
("U.S.", "U.N."), initials ("J. R. Smith"), decimals and thousands ("3.5", "2.926"),
ellipses, closing quotes and brackets after the full stop (they stay with the sentence),
Spanish opening marks (¿ ¡), and full stops glued to the next sentence ("restrictions.A
follow-up"), which scraped text often has.

Paragraphs: a blank line always ends one. A single line break ends one too, unless the
line is a hard wrap inside a paragraph (press copy, scraped pages): the line has no
terminal punctuation and either the next line carries on in lower case or with a digit,
or the line ends on a comma, a hyphen or a connecting word, or the text is hard-wrapped
(no line longer than ``WRAP_MAX`` characters) and the line reaches to within
``WRAP_SLACK`` of its right margin. Wrapped lines are joined with a space, so they never
make fragment "sentences"; short unpunctuated lines (headings, datelines) stay apart, and
so do the lines of text written one sentence per line.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset("""
mr mrs ms dr prof sr jr st mt ft gen col lt sgt capt cmdr adm gov sen rep rev hon pres supt
inc ltd co corp dept univ assn bros est approx vs etc al fig vol no nos op cf ca jan feb mar apr
jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun e.g i.e a.m p.m
sra srta dña dra lic ing arq pág págs núm art arts cap avda ee.uu uu p.ej ud uds vd vds
mme mmes mlle mlles mm me pr env p.ex
sig sigg dott dott.ssa avv ecc pag pagg sigra
""".split())

_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(¿¡["
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then either
# whitespace or (glued text) an opening mark / capital letter.
_BOUNDARY = re.compile(
    r"(?P<term>[.!?…]+|\.\.\.)(?P<close>[" + re.escape(_CLOSERS) + r"]*)"
    r"(?P<gap>\s+|(?=[" + re.escape(_OPENERS) + r"]|[^\W\d_]))"
)
_ACRONYM = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]?\.?$")
_SENTENCE_STARTERS = frozenset("""the a an in on at he she it they we i this that these those but and
however after before when while el la los las en un una pero le les une des il elle ils
lo gli i ma""".split())


WRAP_MAX = 100   # text whose lines never pass this width is hard-wrapped at its longest line
WRAP_SLACK = 20  # ... and a line ending this close to that margin was wrapped there
_TERMINAL = re.compile(r"[.!?…:;][" + re.escape(_CLOSERS) + r"]*$")
_CONTINUES = re.compile(r"(?:[,\-–—(/&]|\b(?:and|or|but|nor|of|to|the|a|an|in|on|at|for|by|with|from|"
                        r"since|after|before|into|than|over|about|between|against|under|during|"
                        r"as|that|which|who|y|e|o|de|del|la|el|los|las|le|les|des|du|et|di|il|per|che)"
                        r")$", re.IGNORECASE)


def paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text``, hard-wrapped lines joined (see the module docstring)."""
    lines = re.split(r"\r\n|\r|\n", text or "")
    widest = max((len(raw.rstrip()) for raw in lines), default=0)
    margin = widest - WRAP_SLACK if 40 <= widest <= WRAP_MAX else None
    out: list[str] = []
    joinable, last_raw = False, ""
    for raw in lines:
        line = raw.strip()
        if not line:
            joinable = False
            continue
        if joinable and _wraps(out[-1], last_raw, line, margin):
            out[-1] = out[-1] + " " + line
        else:
            out.append(line)
        joinable, last_raw = True, raw.rstrip()
    return out


def _wraps(previous: str, previous_raw: str, line: str, margin: int | None) -> bool:
    if _TERMINAL.search(previous):
        return False
    first = line[0]
    return (first.islower() or first.isdigit() or bool(_CONTINUES.search(previous))
            or (margin is not None and len(previous_raw) >= margin))


def split_paragraphs(text: str) -> list[list[str]]:
    """The sentences of each paragraph, numbered in reading order as ``split_sentences``."""
    return [sentences for sentences in map(_split_line, paragraphs(text)) if sentences]


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (stripped, non-empty), in order."""
    return [s for paragraph in split_paragraphs(text) for s in paragraph]


def _split_line(line: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        end = match.end("close")
        if _is_boundary(line, match):
            piece = line[start:end].strip()
            if piece:
                sentences.append(piece)
            start = match.end()
    rest = line[start:].strip()
    if rest:
        if sentences and not any(ch.isalnum() for ch in rest):
            sentences[-1] = sentences[-1] + rest
        else:
            sentences.append(rest)
    return sentences


def _previous_word(line: str, pos: int) -> str:
    """The token right before position ``pos`` (the terminal punctuation)."""
    begin = pos
    while begin > 0 and not line[begin - 1].isspace() and line[begin - 1] not in _OPENERS:
        begin -= 1
    return line[begin:pos]


_NEXT_WORD = re.compile(r"[" + re.escape(_OPENERS) + r"]*([^\s]*)")


def _next_word(line: str, pos: int) -> str:
    match = _NEXT_WORD.match(line, pos)
    return match.group(1) if match else ""


def _is_boundary(line: str, match: re.Match) -> bool:
    term = match.group("term")
    gap = match.group("gap")
    if match.end() >= len(line):
        return True
    first = line[match.end()]
    glued = not gap
    if first.islower() or first.isdigit():
        # "etc. and", "3. to", "...and": a boundary only after ! or ? in Spanish-style
        # lists is rare enough to ignore; keep the sentence together.
        return False
    if term != "." and term != "...":
        return not glued or first.isupper() or first in _OPENERS
    prev = _previous_word(line, match.start("term"))
    core = prev.strip(_CLOSERS + _OPENERS).rstrip(".")
    lowered = core.lower()
    if glued:
        # "restrictions.A follow-up", "Kyi.Do you": split only after a real word, never
        # inside a domain or an acronym like "U.S.A".
        if len(core) < 2 or not core[-1].isalpha() or not core[-2].isalpha():
            return False
        if lowered in ABBREVIATIONS or _ACRONYM.match(prev):
            return False
        if not (first.isupper() or first in _OPENERS):
            return False
        nxt = _next_word(line, match.end())
        return len(nxt) == 1 or nxt[1:2].islower() or nxt[1:2] in ("", " ") or first in _OPENERS
    if term == "..." or term == "…":
        return True
    if lowered in ABBREVIATIONS or lowered.replace(".", "") in ABBREVIATIONS:
        return False
    if core and _ACRONYM.match(core + "."):
        letters = core.replace(".", "")
        if len(letters) == 1:
            return False  # an initial: "J. Smith"
        # "U.S." ends a sentence only when a typical sentence opener follows.
        return _next_word(line, match.end()).lower().strip(",;:") in _SENTENCE_STARTERS
    return True
