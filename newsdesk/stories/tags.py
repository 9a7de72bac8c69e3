"""Keyphrases and hashtags for articles and stories.

Candidates are single content words, named things (``names.find_names``) and
lower-case two-word phrases that recur. Each is scored by

    (1 + ln tf) * (1 + ln spread) ** SPREAD_POWER * idf ** IDF_POWER
                * (1 + TITLE_BONUS if in the title)
                * (1 + LEAD_BONUS / (1 + first sentence index)) * NAME_BONUS if a name

where spread is the number of sentences using the candidate (a phrase: holding all its
words): what an article is about comes back all through it, a word said five times in one
paragraph is a detail of it (YAKE's "different sentences" feature says the same).

with the idf taken from a ``background.Background``: general English word frequencies
(``data/wordfreq-en.tsv``) plus, in the stories stage, what the installation's own archive
has taught it (``Background.learn``). Words are compared by their Snowball stem, so
"ceasefire"/"ceasefires" and "Putin"/"Putin's" collapse; demonyms count for their place
("Ukrainians" -> Ukraine); every name is read in one spelling first ("Kiev" -> "Kyiv",
``variants.py``).

Hashtags (3-10) are the topical keyphrases in CamelCase (#WhiteHouse, #Ukraine): persons by
surname (#Putin), never genre words (#Readout, ``data/genre-words.txt``), weak or very
common words, titles (#President) or given names alone, nor junk by form (``tagrules.py``). Any language or script is
accepted; only English gets stop words and stemming. Tags come from the article's own
language: words of a sentence in another (a quoted Portuguese line in an English report) are
no candidates, its names of two words or more are (``_foreign``). A story's tags are merged
in ``storytags.py``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from ..language import declared, detect, foreign_segments
from ..words import runs
from .background import Background, default_background, stem, stem_phrase
from .entities import (CONNECTORS, Token, given_names, in_longer_name, is_title, place_of,
                       places_in, sentences, stopwords, tokenize, word_list)
from .names import find_names
from .tagrules import adjective_only, never_a_tag
from .variants import preferred, respell

IDF_POWER = 0.75
SPREAD_POWER = 2.0
TITLE_BONUS = 1.0
LEAD_BONUS = 1.0
NAME_BONUS = 1.2
NAME_TAG_BOOST = 1.5  # hashtags only: names are what readers follow
PHRASE_MIN_COUNT = 2
MIN_TAGS, MAX_TAGS = 3, 10
# past the first TAIL_FROM tags, a word that is not a name must be rarer than this share of
# documents: a seventh tag like #Support or #Law would gather every article saying it
TAIL_FROM, TAIL_SHARE = 6, 0.1
COMMON_SHARE = 0.25  # non-names in this share of background documents are never tags
ENGLISH_SHARE = 0.3  # see _foreign

_BEFORE_VERB = {"to", "will", "would", "can", "could", "must", "should", "we", "they", "not"}
_BEFORE_NOUN = {"the", "a", "an", "our", "their", "his", "her", "its", "this", "these", "of"}
_HAS_LETTER = re.compile(r"[^\W\d_]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass
class _Candidate:
    key: str                       # stemmed, lower case, space separated
    forms: Counter                 # surface forms seen
    count: int = 0
    first_sentence: int = 10**6
    in_title: bool = False
    name: bool = False
    person: bool = False
    verb_uses: int = 0             # after "to", "will", "we"...: "to impose"
    noun_uses: int = 0             # after "the", "a", "our"...: "the war"
    modifier_uses: int = 0         # right before another content word: "bilateral talks"
    half_name: bool = False        # a phrase with a capitalised word: "near Bakhmut"
    capital_mid: bool = False      # written with a capital inside a sentence of the body
    written_lower: bool = False    # written in lower case somewhere (title included)
    spread: int = 1                # sentences using it (every word of it), the title one of them

    def absorb(self, other: "_Candidate") -> None:
        """Count ``other``'s uses as this candidate's (a plural joining its singular); what
        marks a name (name, person, half_name) stays this candidate's own."""
        self.forms.update(other.forms)
        self.count += other.count
        self.first_sentence = min(self.first_sentence, other.first_sentence)
        self.in_title |= other.in_title
        self.verb_uses += other.verb_uses
        self.noun_uses += other.noun_uses
        self.modifier_uses += other.modifier_uses
        self.capital_mid |= other.capital_mid
        self.written_lower |= other.written_lower

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


_QUOTED = re.compile(r"[«“„\"]([^«»“”„\"]+)[»”“\"]")


def _foreign(title: str, text: str, language: str | None) -> tuple[set[int], dict[int, set[str]]]:
    """Sentences (the title is -1) written in another language than the article's own
    (``language`` if declared, else detected): a Portuguese quote in an English report;
    and, by sentence, the words of quoted spans in another language inside the others
    ("JFK's «Ich bin ein Berliner» speech"). In an English article, a sentence or quote
    whose words are at least ENGLISH_SHARE English function words is English without asking
    the language detector (9 sentences in 10 of the demo's; none of its foreign ones); in
    another language such a share proves nothing ("er war so müde, also ging er in...")."""
    segments = [title] + sentences(unicodedata.normalize("NFKC", text or ""))
    main = declared(language) or detect(f"{title}\n{text}")
    english = _english if main == "en" else (lambda segment: False)
    quotes = [(i, m.group(1)) for i, segment in enumerate(segments)
              for m in _QUOTED.finditer(segment) if not english(m.group(1))]
    known = {i: "en" for i, segment in enumerate(segments) if english(segment)}
    found = foreign_segments(segments, main, known, [q for _, q in quotes])
    in_quotes: dict[int, set[str]] = {}
    for j, (i, quote) in enumerate(quotes):
        if len(segments) + j in found:
            in_quotes.setdefault(i - 1, set()).update(w.casefold() for w in runs(quote))
    return {i - 1 for i in found if i < len(segments)}, in_quotes


def _english(segment: str) -> bool:
    words, stop = [w.casefold() for w in runs(segment)], stopwords()
    return bool(words) and sum(w in stop for w in words) >= ENGLISH_SHARE * len(words)


def _candidates(title: str, text: str, background: Background, language: str | None = None,
                ) -> tuple[dict[str, _Candidate], set[str]]:
    """Candidates by key, and the keys of given names absorbed by a person's surname. A
    capitalised word alone is a name only if neither this text nor the background (its
    ``is_lower``) writes it in lower case: "Aliyev", not "Allies" or "the Nation". Words of
    sentences in another language than the article's are no candidates (#Não, #Que from
    a quoted Portuguese line), though names of two words or more found in them are."""
    stop = stopwords() | CONNECTORS  # "von der" is no phrase, "de" no word of its own
    foreign, quoted = _foreign(title, text, language)
    title_tokens, body = tokenize(title), tokenize(text)
    spelled = respell(title_tokens + body)  # "Kiev" -> "Kyiv"; "Zelenskiy" -> "Zelenskyy"
    title_tokens, body = spelled[:len(title_tokens)], spelled[len(title_tokens):]
    # the title is sentence -1 for positions; body sentences count from 0
    tokens = [Token(t.text, t.lower, -1, t.first) for t in title_tokens] + body
    title_keys = {stem(t.text) for t in title_tokens}
    inside = in_longer_name(tokens)
    title_keys |= {stem_phrase(p) for t, i in zip(title_tokens, inside) for p in places_in(t, not i)}
    cands: dict[str, _Candidate] = {}
    used_in: dict[str, set[int]] = {}  # stem or place key -> sentences using it

    def get(key: str) -> _Candidate:
        if key not in cands:
            cands[key] = _Candidate(key, Counter())
        return cands[key]

    for prev, tok, nxt, in_name in zip([None] + tokens, tokens, tokens[1:] + [None], inside):
        if not _is_content(tok, stop) or tok.sentence in foreign \
                or tok.lower in quoted.get(tok.sentence, ()):
            continue
        places = places_in(tok, not in_name)  # "Ukrainians" counts for Ukraine
        for form in places or [tok.text if tok.capitalised and not tok.first else tok.lower]:
            cand = get(stem_phrase(form) if places else stem(tok.text))
            cand.see(form, max(tok.sentence, 0), cand.key in title_keys)
            used_in.setdefault(cand.key, set()).add(tok.sentence)
            cand.name |= bool(places)
        before = prev.lower if prev and prev.sentence == tok.sentence else ""
        cand.verb_uses += before in _BEFORE_VERB
        cand.noun_uses += before in _BEFORE_NOUN
        cand.modifier_uses += bool(nxt and nxt.sentence == tok.sentence and not nxt.gap
                                   and _is_content(nxt, stop))
        cand.capital_mid |= tok.capitalised and not tok.first and tok.sentence >= 0
        cand.written_lower |= not tok.capitalised
    pairs: Counter[tuple[str, str]] = Counter()
    first_seen: dict[tuple[str, str], int] = {}
    capital_pairs: set[tuple[str, str]] = set()
    for a, b in zip(tokens, tokens[1:]):
        if a.sentence == b.sentence and a.sentence not in foreign \
                and not {a.lower, b.lower} & quoted.get(a.sentence, set()) \
                and _is_content(a, stop) and _is_content(b, stop) \
                and not b.gap and not (a.capitalised and b.capitalised) \
                and not _CJK.search(a.text + b.text):
            pair = (a.lower, b.lower)
            pairs[pair] += 1
            capital_pairs.update([pair] if a.capitalised and not a.first or b.capitalised else [])
            first_seen.setdefault(pair, max(a.sentence, 0))
    for (a, b), n in pairs.items():
        if n >= PHRASE_MIN_COUNT:
            key = f"{stem(a)} {stem(b)}"
            get(key).see(f"{a} {b}", first_seen[(a, b)], False, n)
            get(key).in_title = stem(a) in title_keys and stem(b) in title_keys
            get(key).half_name = (a, b) in capital_pairs
    absorbed: set[str] = set()
    lower_seen = {t.lower for t in tokens if not t.capitalised}
    for name in find_names(body or tokens):  # Title Case headlines are not names
        if len(name.words) < 2:
            place = place_of(name.words[0])
            key = stem_phrase(place) if place else stem(name.key)
            lower_case = name.key in lower_seen or background.is_lower(name.key)
            if key in cands and (name.person or place or not lower_case):
                cands[key].name = True  # ... and a person unless only the stems agree
                cands[key].person |= name.person and name.key in map(str.casefold, cands[key].forms)
                absorbed.update(stem(w) for w in name.full if stem(w) != key)
            continue
        place = place_of(" ".join(name.words))  # "Russian Federation", "Republic of Chad"
        key = stem_phrase(place) if place else " ".join(stem(w) for w in name.words)
        if place:
            absorbed.update(stem(w) for w in name.words if stem(w) != key)
        cand = get(key)
        cand.see(place or " ".join(name.words), max(name.first_sentence, 0),
                 all(stem(w) in title_keys for w in name.words), name.count)
        cand.name, cand.person = True, cand.person or name.person
    for tok in tokens:
        used_in.setdefault(stem(tok.text), set()).add(tok.sentence)
    _fold_us_plurals(cands, used_in)
    for cand in cands.values():  # a phrase is in at most the sentences holding all its words
        found = [used_in.get(p, set()) for p in cand.key.split()]
        cand.spread = max(1, len(set.intersection(*found)) if found else 0)
    return cands, absorbed


def _fold_us_plurals(cands: dict[str, _Candidate], used_in: dict[str, set[int]]) -> None:
    """Snowball keeps a final "us" ("campus", "virus"), so "menus" is no "menu": when an
    article has both, the plural joins the singular (no #Menu beside #Menus)."""
    for key in [k for k in cands if k.endswith("us") and k[:-1] in cands]:
        cands[key[:-1]].absorb(cands.pop(key))
        used_in[key[:-1]] = used_in.get(key[:-1], set()) | used_in.get(key, set())


def _score(cand: _Candidate, background: Background) -> float:
    parts = cand.key.split()
    idf = sum(background.idf(p) for p in parts) / len(parts)
    score = (1.0 + math.log(cand.count)) * max(idf, 0.01) ** IDF_POWER
    score *= (1.0 + math.log(cand.spread)) ** SPREAD_POWER
    if cand.in_title:
        score *= 1.0 + TITLE_BONUS
    score *= 1.0 + LEAD_BONUS / (1.0 + cand.first_sentence)
    if cand.name:
        score *= NAME_BONUS
    return score


def _ranked(title: str, text: str, background: Background | None, language: str | None = None,
            ) -> tuple[list[tuple[_Candidate, float]], set[str]]:
    background = background or default_background()
    cands, absorbed = _candidates(title, text, background, language)
    scored = [(c, _score(c, background)) for c in cands.values()]
    scored.sort(key=lambda cs: (-cs[1], cs[0].key))
    return scored, absorbed


def extract_keyphrases(title: str, text: str, top: int = 10, background: Background | None = None,
                       language: str | None = None) -> list[tuple[str, float]]:
    """The ``top`` keyphrases, lower case, best first, with their scores."""
    ranked, _ = _ranked(title, text, background, language)
    return [(c.form.casefold(), round(s, 4)) for c, s in ranked[:top]]


@dataclass(frozen=True)
class Tag:
    slug: str      # lower-case key used in URLs and for matching: "whitehouse"
    display: str   # "#WhiteHouse"
    score: float   # 0..1, relative to the best tag of the article or story


def camel(form: str) -> str:
    parts = runs(form)
    return "".join(p if any(c.isupper() for c in p[1:]) or p.isupper() else p[:1].upper() + p[1:]
                   for p in parts)


def make_tag(form: str, score: float = 1.0) -> Tag | None:
    display = camel(form)
    return Tag(display.casefold(), "#" + display, score) if display else None


@lru_cache(maxsize=None)
def _not_topics(name: str) -> frozenset[str]:
    """Stems of news-genre words ("readout") or of weak words ("held", "continue")."""
    return frozenset(map(stem_phrase, word_list(name)))


def _topical(cand: _Candidate, background: Background) -> bool:
    """May this be a tag? Never titles (#President), given names alone or #6th; persons and
    places always; not genre words (#Readout), weak words (#Held), common nouns with a
    capital of house style (#Allies, #Nation), verbs ("to impose"),
    adverbs and participles (#Definitely, #Arrived), words in COMMON_SHARE of documents."""
    form = cand.form.casefold()
    shown = make_tag(cand.form)
    if shown is None or never_a_tag(cand.form, cand.key, shown.display):
        return False
    if is_title(form) or not form[:1].isalpha() or (form in given_names() and not cand.person):
        return False
    other = preferred(cand.form)
    if other not in (None, cand.form) and not cand.person and place_of(other):
        return False  # a place's other name left as it is inside a longer name: "Rural America"
    if cand.person or place_of(form):
        return True
    genre, weak = _not_topics("genre-words.txt"), _not_topics("weak-words.txt")
    parts = cand.key.split()
    if cand.key in genre or stem(cand.form.replace(".", "")) in genre or (
            len(parts) == 1 and parts[0] in weak):  # "Executive Order", "E.O."
        return False
    if cand.name:
        return True
    if len(parts) == 1 and cand.capital_mid and not cand.written_lower and (
            background.is_lower(form)):
        return False  # a common noun capitalised by house style: "our Allies", "the Nation"
    if any(p in genre or p in weak for p in parts) or is_title(parts[-1]) or cand.half_name:
        return False
    if any(len(w) > 4 and (w.endswith("ly") or (w.endswith("ed") and stem(w) != w))
           for w in form.split()):
        return False
    if len(parts) == 1 and ((cand.verb_uses and not cand.noun_uses)
                            or adjective_only(form, cand.count, cand.modifier_uses)):
        return False
    return len(parts) > 1 or background.share(cand.key) < COMMON_SHARE


def _absorbed(ranked: list[tuple[_Candidate, float]]) -> set[str]:
    """Keys not tagged because a longer name or phrase holds them: no #White or #House
    beside #WhiteHouse, no #GeneralAssembly beside a more used #UNGeneralAssembly, no
    #Digital beside #DigitalAssets (unless the word is also used apart from it)."""
    by_key = {c.key: c for c, _ in ranked}
    multi = [c for c, _ in ranked if " " in c.key and (c.name or c.count >= PHRASE_MIN_COUNT)]
    inside: Counter[str] = Counter()
    out = set()
    for cand in multi:
        for part in set(cand.key.split()):
            inside[part] += cand.count + (cand.name and cand.in_title)  # names: body only
        for other in multi:
            if other.name and cand.name and other is not cand \
                    and f" {other.key} " in f" {cand.key} ":
                out.add(other.key if cand.count >= other.count else cand.key)
    for part, n in inside.items():
        single = by_key.get(part)
        if single is not None and not single.person and (single.count - n < 2 or (
                not single.name and all(f[:1].isupper() for f in single.forms))):
            out.add(part)
    return out


def hashtags(title: str, text: str, top: int = MAX_TAGS,
             background: Background | None = None, language: str | None = None) -> list[Tag]:
    """Between 3 and ``top`` hashtags (fewer only when the text has few topical words).

    Persons are tagged by surname (#Putin), places for their demonyms (#Ukraine for
    "Ukrainian"), organisations and places whole (#WhiteHouse); see ``_topical`` for what
    is never a tag and ``_absorbed`` for what a longer tag covers. Words that are not names
    need two mentions, the title or the lede (the first sentence) before others are taken.
    """
    background = background or default_background()
    ranked, absorbed = _ranked(title, text, background, language)
    ranked = [(c, s) for c, s in ranked if _topical(c, background)]
    absorbed |= _absorbed(ranked)
    best = ranked[0][1] if ranked else 0.0
    scored = [(s * NAME_TAG_BOOST if c.name else s, c,
               c.name or c.count >= 2 or c.in_title or c.first_sentence == 0)
              for c, s in ranked if c.key not in absorbed
              and (c.name or " " not in c.key or s >= best * 0.5)]
    scored.sort(key=lambda t: (-t[0], t[1].key))
    chosen: dict[str, Tag] = {}
    for strict in (True, False):  # relax that rule only to reach MIN_TAGS
        for score, cand, eligible in scored:
            if len(chosen) >= max(1, top) or (not strict and len(chosen) >= MIN_TAGS):
                break
            if (strict and not eligible) or "'" in cand.form or "’" in cand.form:
                continue  # contractions ("we're") make poor tags
            if len(chosen) >= TAIL_FROM and not cand.name and background.share(cand.key) >= TAIL_SHARE:
                continue  # see TAIL_SHARE
            form = cand.form if cand.name or cand.form.isupper() else cand.form.casefold()
            tag = make_tag(form, score)
            if tag is not None and tag.slug not in chosen:
                chosen[tag.slug] = tag
    ordered = sorted(chosen.values(), key=lambda t: -t.score)
    return [Tag(t.slug, t.display, round(t.score / ordered[0].score, 4)) for t in ordered]
