"""What changed between two versions of an article, sentence by sentence and word by word.

    sentences    both texts are cut into sentences (the AI features' splitter), paragraph
                 breaks kept as markers; difflib aligns the two sequences
    same         a sentence found in both is plain text
    added        a sentence only in the newer version           -> <ins>
    removed      a sentence only in the older version           -> <del>
    changed      an aligned pair that shares most of its words is shown once, with the
                 words taken out and put in marked inside it ("12 people" -> "15 people")
    stamp        a change of a sentence that is only a time stamp ("Updated 10:32 GMT"):
                 shown, muted, and not counted (``ingest.revisions.normalize`` ignores it)

The result is plain data (paragraphs of segments of runs) for the template and the JSON
twin; nothing here writes markup.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher

from ..sentences import split_sentences
from ..ingest.revisions import normalize
from ..words import runs

BREAK = "\n"                 # paragraph marker in the sentence sequence
PAIR_RATIO = 0.5             # a replaced sentence sharing this much is "changed", not new
# Not newsdesk.words: a diff redraws the whole text, so punctuation and spaces are tokens too.
_TOKENS = re.compile(r"\w+|[^\w\s]+|\s+", re.U)


@dataclass
class Run:
    op: str          # same | added | removed
    text: str


@dataclass
class Segment:
    kind: str        # same | added | removed | changed | stamp
    runs: list[Run] = field(default_factory=list)


@dataclass
class Diff:
    paragraphs: list[list[Segment]]
    added: int = 0
    removed: int = 0
    changed: int = 0
    title: list[Run] | None = None     # the headline's word diff, when it changed

    def to_json(self) -> dict:
        return {"added": self.added, "removed": self.removed, "changed": self.changed,
                "title": [asdict(r) for r in self.title] if self.title else None,
                "paragraphs": [[asdict(s) for s in p] for p in self.paragraphs]}


def sequence(text: str) -> list[str]:
    """Sentences of ``text`` with ``BREAK`` between paragraphs."""
    out: list[str] = []
    for line in (text or "").splitlines():
        sentences = split_sentences(line)
        if sentences:
            if out:
                out.append(BREAK)
            out.extend(sentences)
    return out


def _key(sentence: str) -> str:
    return " ".join(sentence.split())


def words(old: str, new: str) -> list[Run]:
    """Word-level runs turning ``old`` into ``new``. A change is shown as what was taken out,
    then what was put in; a lone space between two changes joins them into one."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    runs: list[Run] = []
    out, put = "", ""
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        same = "".join(a[i1:i2]) if op == "equal" else ""
        if op == "equal" and not (same.isspace() and (out or put)):
            _add(runs, "removed", out)
            _add(runs, "added", put)
            out = put = ""
            _add(runs, "same", same)
            continue
        out += same or "".join(a[i1:i2])
        put += same or "".join(b[j1:j2])
    _add(runs, "removed", out)
    _add(runs, "added", put)
    return runs


def _add(runs: list[Run], op: str, text: str) -> None:
    if not text:
        return
    if runs and runs[-1].op == op:
        runs[-1].text += text
    else:
        runs.append(Run(op, text))


def _similar(a: str, b: str) -> float:
    ta, tb = runs(a.lower()), runs(b.lower())
    return SequenceMatcher(None, ta, tb, autojunk=False).ratio() if ta and tb else 0.0


def diff(old_text: str, new_text: str, old_title: str | None = None,
         new_title: str | None = None) -> Diff:
    old, new = sequence(old_text), sequence(new_text)
    result = Diff(paragraphs=[[]])

    def put(kind: str, runs: list[Run]) -> None:
        result.paragraphs[-1].append(Segment(kind, runs))

    def emit(sentence: str, kind: str) -> None:
        if sentence == BREAK:
            if kind != "removed" and result.paragraphs[-1]:
                result.paragraphs.append([])
            return
        if kind != "same" and not normalize(sentence):
            put("stamp", [Run(kind, sentence)])
            return
        put(kind, [Run(kind, sentence)])
        if kind != "same":
            setattr(result, kind, getattr(result, kind) + 1)

    matcher = SequenceMatcher(None, [_key(s) for s in old], [_key(s) for s in new], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for sentence in new[j1:j2]:
                emit(sentence, "same")
        elif op == "delete":
            for sentence in old[i1:i2]:
                emit(sentence, "removed")
        elif op == "insert":
            for sentence in new[j1:j2]:
                emit(sentence, "added")
        else:
            _replace(old[i1:i2], new[j1:j2], emit, put, result)
    result.paragraphs = [p for p in result.paragraphs if p]
    if old_title is not None and new_title is not None and _key(old_title) != _key(new_title):
        result.title = words(old_title, new_title)
    return result


def _replace(old: list[str], new: list[str], emit, put, result: Diff) -> None:
    """A replaced block: each new sentence is paired, in order, with the most similar old
    one after the last pair; pairs sharing enough words are "changed". Between pairs the
    old sentences are shown removed, then the new ones added."""
    pairs, last = [], -1
    for j, sentence in enumerate(new):
        if sentence == BREAK:
            continue
        scored = [(_similar(old[i], sentence), i) for i in range(last + 1, len(old))
                  if old[i] != BREAK]
        best, i = max(scored, default=(0.0, None))
        if i is not None and best >= PAIR_RATIO:
            pairs.append((i, j))
            last = i
    oi = nj = 0
    for i, j in pairs + [(len(old), len(new))]:
        for sentence in old[oi:i]:
            emit(sentence, "removed")
        for sentence in new[nj:j]:
            emit(sentence, "added")
        if i < len(old) and j < len(new):
            stamp = not normalize(old[i]) and not normalize(new[j])
            put("stamp" if stamp else "changed", words(old[i], new[j]))
            result.changed += 0 if stamp else 1
        oi, nj = i + 1, j + 1


def first_news(old_text: str, new_text: str, title: str | None = None,
               limit: int = 300) -> str | None:
    """The first sentence the newer version added or changed, other than its headline
    (extracted texts often begin with it): what the report "now says"."""
    for paragraph in diff(old_text, new_text).paragraphs:
        for segment in paragraph:
            if segment.kind in ("added", "changed"):
                text = "".join(r.text for r in segment.runs if r.op != "removed").strip()
                if title is not None and _key(text) == _key(title):
                    continue
                return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
    return None
