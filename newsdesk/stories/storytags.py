"""A story's hashtags: its articles' tags (``tags.hashtags``) summed, each name in one
spelling, plurals in the singular, a person's full name folded into the surname and a
demonym into its place (``merge_story_tags``); and the words of a CamelCase tag
(``tag_words``), by which these merges compare tags.
"""

from __future__ import annotations

import re
from collections import Counter

from .background import stem_phrase
from .entities import place_of
from .names import surname_tag
from .tags import MAX_TAGS, Tag, camel
from .variants import spellings

_UPPER = "A-ZÀ-ÞА-ЯЁІЇЄҐ"
_CAMEL_WORD = re.compile(f"[{_UPPER}][^{_UPPER}]+|[{_UPPER}]+(?![^{_UPPER}])")


def tag_words(display: str) -> tuple[str, ...]:
    """The words of a CamelCase tag: "#NATOSummit" -> ("NATO", "Summit"); () if not CamelCase."""
    words = tuple(_CAMEL_WORD.findall(display[1:]))
    return words if "".join(words) == display[1:] else ()


def _one_spelling(per_article: list[list[Tag]]) -> Counter[tuple[str, str]]:
    """(slug, display) -> summed score, with each name in one spelling (#Kiev and #Kyiv ->
    #Kyiv, #Zelenskiy -> #Zelenskyy) and plurals folded into the singular when the story
    has both (#Ceasefires -> #Ceasefire)."""
    used = Counter(w for tags in per_article for t in tags for w in tag_words(t.display))
    fixed = spellings(used)
    by_stem: dict[str, Counter[str]] = {}
    for tags in per_article:
        for tag in tags:
            words = tag_words(tag.display)
            shown = "#" + "".join(fixed.get(w, w) for w in words) if words else tag.display
            key = stem_phrase(" ".join(words)) if words else tag.slug
            by_stem.setdefault(key, Counter())[shown] += tag.score
    total: Counter[tuple[str, str]] = Counter()
    for shown in by_stem.values():
        best = min(shown, key=lambda d: (len(d), -shown[d], d))  # the singular
        total[(best[1:].casefold(), best)] = sum(shown.values())
    return total


def merge_story_tags(per_article: list[list[Tag]], top: int = MAX_TAGS) -> list[Tag]:
    """Tags of a story, summed over its articles: one spelling per name and plurals into
    the singular (``_one_spelling``), "#VladimirPutin" folds into "#Putin" (unless two
    people of the story share the surname), "#Ukrainian" into "#Ukraine"."""
    total: Counter[str] = Counter()
    display: dict[str, str] = {}
    for (slug, shown), score in _one_spelling(per_article).items():
        total[slug] += score
        display.setdefault(slug, shown)
    parts = {slug: tag_words(display[slug]) for slug in total}
    givens: dict[str, set[str]] = {}  # surname -> given names it has in the story
    for words in filter(None, parts.values()):
        givens.setdefault(words[-1].casefold(), set()).add(words[0][:2])
    for slug, words in parts.items():
        place = place_of(display[slug][1:])
        target = camel(place).casefold() if place else None
        if place:
            display.setdefault(target, "#" + camel(place))
        elif len(givens.get(words[-1].casefold() if words else "", ())) <= 2:
            target = surname_tag(words, set(total))
        if target and target != slug and (place or target in total):
            total[target] += total.pop(slug)
    if not total:
        return []
    best = max(total.values())
    ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [Tag(slug, display[slug], round(score / best, 4)) for slug, score in ranked]
