"""A spam score for comments. Every signal adds to the score and says why; at or above
the threshold the comment goes to the moderation queue instead of the page. Signals:

* links: more than ``max_links`` (each extra one), or any link in a very short comment
* banned words: each distinct word from the configured list (whole words, any case)
* repetition: few distinct words among many, a character repeated a dozen times, the
  same line again and again
* shouting: mostly capital letters
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..words import runs

LINK = re.compile(r"https?://|www\.|mailto:", re.I)
RUN = re.compile(r"(.)\1{11,}", re.S)


@dataclass
class SpamVerdict:
    score: float
    reasons: list[str] = field(default_factory=list)
    suspicious: bool = False


class SpamFilter:
    def __init__(self, banned_words: list[str] | tuple[str, ...] | str = (), threshold: float = 3.0,
                 max_links: int = 2):
        if isinstance(banned_words, str):
            banned_words = [w for w in re.split(r"[,\n]", banned_words)]
        words = sorted({w.strip().lower() for w in banned_words if w.strip()})
        self.banned = (re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.I)
                       if words else None)
        self.threshold = threshold
        self.max_links = max_links

    def score(self, text: str) -> SpamVerdict:
        score, reasons = 0.0, []
        words = runs(text.lower())
        links = len(LINK.findall(text))
        if links > self.max_links:
            score += 1.5 * (links - self.max_links)
            reasons.append(f"{links} links")
        if links and len(words) < 8:
            score += 1.0
            reasons.append("a link with little text")
        if self.banned is not None:
            found = {m.group(1).lower() for m in self.banned.finditer(text)}
            if found:
                score += 3.0 * len(found)
                reasons.append("banned words: " + ", ".join(sorted(found)))
        if len(words) >= 8 and len(set(words)) / len(words) < 0.3:
            score += 2.0
            reasons.append("repetitive words")
        if RUN.search(text):
            score += 1.0
            reasons.append("a character repeated many times")
        lines = [line.strip().lower() for line in text.splitlines() if line.strip()]
        if len(lines) >= 4 and len(set(lines)) <= len(lines) // 2:
            score += 2.0
            reasons.append("repeated lines")
        letters = [c for c in text if c.isalpha()]
        if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
            score += 1.0
            reasons.append("shouting")
        return SpamVerdict(round(score, 2), reasons, score >= self.threshold)
