"""Keyphrases and hashtags for articles and stories.

Candidates are single content words, named things (``entities.find_names``) and
lower-case two-word phrases that recur. Each is scored by

    (1 + ln tf) * idf ** IDF_POWER * (1 + TITLE_BONUS if in the title)
                * (1 + LEAD_BONUS / (1 + first sentence index)) * NAME_BONUS if a name

with the idf taken from a background document-frequency table: by default the small
generic one shipped in ``data/background-en.tsv`` (built from the bundled demo corpus by
``bench/hashtag_eval.py --write-background``), or one the caller builds from its own
archive with ``Background.from_texts``. Words are compared by their Snowball stem, so
"ceasefire"/"ceasefires" and "Putin"/"Putin's" collapse.

Hashtags are the keyphrases in CamelCase display form (#WhiteHouse, #Ukraine), persons
folded to their surname when the full name and the surname both occur, one tag per stem
key. Any language or script is accepted; only English gets stop words and stemming.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import snowballstemmer

from .entities import DATA, Token, find_names, is_title, stopwords, surname_of, tokenize

IDF_POWER = 0.5
TITLE_BONUS = 1.0
LEAD_BONUS = 1.0
NAME_BONUS = 1.2
PHRASE_MIN_COUNT = 2
MIN_TAGS, MAX_TAGS = 3, 8

_stemmer = snowballstemmer.stemmer("english")
_HAS_LETTER = re.compile(r"[^\W\d_]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def stem(word: str) -> str:
    return _stemmer.stemWord(word.casefold())


def stem_phrase(phrase: str) -> str:
    return " ".join(stem(w) for w in re.findall(r"[^\W_]+", phrase))


@dataclass(frozen=True)
class Background:
    """Document frequencies of word stems in some reference collection."""

    n_docs: int
    df: dict[str, int]

    def idf(self, key: str) -> float:
        return math.log((self.n_docs + 1) / (self.df.get(key, 0) + 0.5))

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_df: int = 2) -> "Background":
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            n += 1
            df.update({stem(t.text) for t in tokenize(text)})
        return cls(n, {k: v for k, v in df.items() if v >= min_df})

    def to_tsv(self) -> str:
        rows = sorted(self.df.items(), key=lambda kv: (-kv[1], kv[0]))
        return f"#docs\t{self.n_docs}\n" + "".join(f"{k}\t{v}\n" for k, v in rows)

    @classmethod
    def from_tsv(cls, text: str) -> "Background":
        lines = text.splitlines()
        n_docs = int(lines[0].split("\t")[1])
        df = {}
        for line in lines[1:]:
            key, _, value = line.partition("\t")
            if key:
                df[key] = int(value)
        return cls(n_docs, df)


@lru_cache(maxsize=1)
def default_background() -> Background:
    path = DATA / "background-en.tsv"
    if not path.exists():
        return Background(1, {})
    return Background.from_tsv(path.read_text(encoding="utf-8"))


@dataclass
class _Candidate:
    key: str                       # stemmed, lower case, space separated
    forms: Counter                 # surface forms seen
    count: int = 0
    first_sentence: int = 10**6
    in_title: bool = False
    name: bool = False

    def see(self, form: str, sentence: int, in_title: bool, n: int = 1) -> None:
        self.forms[form] += n
        self.count += n
        self.first_sentence = min(self.first_sentence, sentence)
        self.in_title = self.in_title or in_title

    @property
    def form(self) -> str:
        """Most used surface form, the shorter on ties; ALL-CAPS only if never written otherwise."""
        forms = [kv for kv in self.forms.items() if not (kv[0].isupper() and len(kv[0]) > 4)]
        forms = forms or [(f.capitalize(), n) for f, n in self.forms.items()]
        return min(forms, key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]


def _is_content(token: Token, stop: frozenset[str]) -> bool:
    return (token.lower not in stop and 1 < len(token.text) <= 30
            and bool(_HAS_LETTER.search(token.text)))


def _candidates(title: str, text: str) -> dict[str, _Candidate]:
    stop = stopwords()
    title_tokens = tokenize(title)
    body = tokenize(text)
    # the title is sentence -1 for positions; body sentences count from 0
    tokens = [Token(t.text, t.lower, -1, t.first) for t in title_tokens] + body
    title_keys = {stem(t.text) for t in title_tokens}
    cands: dict[str, _Candidate] = {}

    def get(key: str) -> _Candidate:
        if key not in cands:
            cands[key] = _Candidate(key, Counter())
        return cands[key]

    for tok in tokens:
        if _is_content(tok, stop):
            key = stem(tok.text)
            get(key).see(tok.text if tok.capitalised and not tok.first else tok.lower,
                         max(tok.sentence, 0), key in title_keys)
    pairs: Counter[tuple[str, str]] = Counter()
    first_seen: dict[tuple[str, str], int] = {}
    for a, b in zip(tokens, tokens[1:]):
        if a.sentence == b.sentence and _is_content(a, stop) and _is_content(b, stop) \
                and not (a.capitalised and b.capitalised) and not _CJK.search(a.text + b.text):
            pair = (a.lower, b.lower)
            pairs[pair] += 1
            first_seen.setdefault(pair, max(a.sentence, 0))
    for (a, b), n in pairs.items():
        if n >= PHRASE_MIN_COUNT:
            key = f"{stem(a)} {stem(b)}"
            get(key).see(f"{a} {b}", first_seen[(a, b)], False, n)
            get(key).in_title = stem(a) in title_keys and stem(b) in title_keys
    for name in find_names(body or tokens):  # Title Case headlines are not names
        if len(name.words) < 2:
            if name.key in cands or stem(name.key) in cands:
                cands[stem(name.key)].name = True
            continue
        key = " ".join(stem(w) for w in name.words)
        cand = get(key)
        cand.see(" ".join(name.words), max(name.first_sentence, 0),
                 all(stem(w) in title_keys for w in name.words), name.count)
        cand.name = True
    return cands


def _score(cand: _Candidate, background: Background) -> float:
    parts = cand.key.split()
    idf = sum(background.idf(p) for p in parts) / len(parts)
    score = (1.0 + math.log(cand.count)) * max(idf, 0.01) ** IDF_POWER
    if cand.in_title:
        score *= 1.0 + TITLE_BONUS
    score *= 1.0 + LEAD_BONUS / (1.0 + cand.first_sentence)
    if cand.name:
        score *= NAME_BONUS
    return score


def _ranked(title: str, text: str, background: Background | None) -> list[tuple[_Candidate, float]]:
    background = background or default_background()
    cands = _candidates(title, text)
    scored = [(c, _score(c, background)) for c in cands.values()]
    scored.sort(key=lambda cs: (-cs[1], cs[0].key))
    return scored


def extract_keyphrases(title: str, text: str, top: int = 10,
                       background: Background | None = None) -> list[tuple[str, float]]:
    """The ``top`` keyphrases, lower case, best first, with their scores."""
    return [(c.form.casefold(), round(s, 4)) for c, s in _ranked(title, text, background)[:top]]


@dataclass(frozen=True)
class Tag:
    slug: str      # lower-case key used in URLs and for matching: "whitehouse"
    display: str   # "#WhiteHouse"
    score: float   # 0..1, relative to the best tag of the article or story


def _camel(form: str) -> str:
    parts = re.findall(r"[^\W_]+", form)
    return "".join(p if any(c.isupper() for c in p[1:]) or p.isupper() else p[:1].upper() + p[1:]
                   for p in parts)


def make_tag(form: str, score: float = 1.0) -> Tag | None:
    display = _camel(form)
    slug = display.casefold()
    if not slug:
        return None
    return Tag(slug, "#" + display, score)


def hashtags(title: str, text: str, top: int = MAX_TAGS,
             background: Background | None = None) -> list[Tag]:
    """Between 3 and ``top`` hashtags (fewer only when the text has fewer words).

    Names come first: a full name folds into its surname ("Vladimir Putin" -> #Putin) or
    into a shorter name it ends with ("Aung San Suu Kyi" -> #SuuKyi), and the words of a
    name are not tagged again on their own. Other words need two mentions or the title.
    """
    ranked = _ranked(title, text, background)
    by_key = {c.key: [c, s] for c, s in ranked}
    single_names = {c.form.casefold(): c.key for c, _ in ranked if c.name and " " not in c.key}
    multi = [c for c, _ in ranked if c.name and " " in c.key]
    absorbed: set[str] = set()
    for cand in sorted(multi, key=lambda c: len(c.key)):
        words = tuple(cand.form.split())
        surname = surname_of(words, set(single_names))
        target = single_names[surname] if surname else None
        for other in multi:  # a shorter name this one ends with
            if target is None and other is not cand and cand.key.endswith(" " + other.key) \
                    and other.key not in absorbed:
                target = other.key
        lowered = [w.casefold() for w in words]
        cut = next((i for i, w in enumerate(lowered) if w in ("of", "de", "von", "van")), None)
        if target is None and cut and " ".join(lowered[:cut]) in {c.form.casefold() for c in multi}:
            target = " ".join(stem(w) for w in words[:cut])  # "Olaf Scholz of Germany"
        if target and target in by_key:
            by_key[target][1] += by_key[cand.key][1]
            absorbed.add(cand.key)
        absorbed.update(k for k in cand.key.split() if k != target)
    scored = []
    for key, (cand, score) in by_key.items():
        if key in absorbed or is_title(cand.form):
            continue
        if cand.name:
            scored.append((score * 1.5, cand, True))
        elif " " not in key or score >= ranked[0][1] * 0.5:
            scored.append((score, cand, cand.count >= 2 or cand.in_title))
    scored.sort(key=lambda t: (-t[0], t[1].key))
    chosen: dict[str, Tag] = {}
    for strict in (True, False):  # relax the two-mentions rule only to reach MIN_TAGS
        for score, cand, eligible in scored:
            if len(chosen) >= max(1, top) or (not strict and len(chosen) >= MIN_TAGS):
                break
            if strict and not eligible:
                continue
            if "'" in cand.form or "’" in cand.form:
                continue  # contractions ("we're") make poor tags
            form = cand.form if cand.name or cand.form.isupper() else cand.form.casefold()
            tag = make_tag(form, score)
            if tag is not None and tag.slug not in chosen:
                chosen[tag.slug] = tag
    if not chosen:
        return []
    best = max(t.score for t in chosen.values())
    ordered = sorted(chosen.values(), key=lambda t: -t.score)
    return [Tag(t.slug, t.display, round(t.score / best, 4)) for t in ordered]


def merge_story_tags(per_article: list[list[Tag]], top: int = MAX_TAGS) -> list[Tag]:
    """Tags of a story: summed over its articles, "#VladimirPutin" folded into "#Putin"."""
    total: Counter[str] = Counter()
    display: dict[str, str] = {}
    for tags in per_article:
        for tag in tags:
            total[tag.slug] += tag.score
            display.setdefault(tag.slug, tag.display)
    # a CamelCase name whose last part is a tag of its own folds into that tag
    for slug in list(total):
        parts = re.findall(r"[A-Z][^A-Z]*", display[slug][1:])
        if len(parts) in (2, 3):
            last = parts[-1].casefold()
            if last != slug and last in total and surname_of(tuple(parts), {last}):
                total[last] += total.pop(slug)
    if not total:
        return []
    best = max(total.values())
    ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [Tag(slug, display[slug], round(score / best, 4)) for slug, score in ranked]
