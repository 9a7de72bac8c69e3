"""robots.txt: parse (RFC 9309) and cache per host.

Parsing is our own instead of ``urllib.robotparser`` because the standard one applies the
first matching rule rather than the longest, and knows neither ``*`` nor ``$`` in paths,
which real sites (and Google) rely on. Rules: the group whose user-agent token matches ours
(case-insensitive product token, e.g. ``newsdesk`` for ``newsdesk/0.1 (...)``), else the
``*`` group; within it the longest matching pattern wins and ``Allow`` wins a tie.
``/robots.txt`` itself is always allowed.

Cache policy (per scheme://host:port, bounded LRU, thread-safe):

=====================================  ==========================  ================
robots.txt outcome                     decision                    kept for
=====================================  ==========================  ================
2xx                                    the rules in the file       ``ttl``
4xx other than 429 (404, 403, 410...)  everything allowed          ``ttl``
429 or 5xx                             everything DISALLOWED       ``error_ttl``
unreachable (timeout, refused, DNS,    everything allowed          ``error_ttl``
too large, too many redirects...)
=====================================  ==========================  ================

429/5xx -> disallow follows Google and RFC 9309 2.3.1.4: a server that is failing may be
overloaded, so we stay away for a while and retry after ``error_ttl``. An unreachable
robots.txt is taken as allowed (the page fetch will report the real network error).
A robots.txt refused by the SSRF guard raises BlockedAddress, as the page would.
Concurrent first requests for one host may fetch the same robots.txt twice; harmless.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote, unquote, urlsplit

from ..errors import BlockedAddress, FetchError, RobotsDisallowed

#: fetch(robots_url) -> (status, body). May raise FetchError when unreachable.
RobotsFetch = Callable[[str], tuple[int, bytes]]

MAX_ROBOTS_BYTES = 512 * 1024  # Google reads the first 500 KiB
_SAFE = "/?=&;:@,+!~*$'()[]"


def _normalize(path: str) -> str:
    return quote(unquote(path), safe=_SAFE)


def _compile(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""))


@dataclass
class Rule:
    allow: bool
    pattern: str
    regex: re.Pattern[str] = field(repr=False)


@dataclass
class RobotsRules:
    """The rules that apply to one user agent."""

    rules: list[Rule] = field(default_factory=list)
    crawl_delay: float | None = None

    @classmethod
    def allow_all(cls) -> "RobotsRules":
        return cls()

    @classmethod
    def disallow_all(cls) -> "RobotsRules":
        return cls([Rule(False, "/", _compile("/"))])

    def allowed(self, path: str) -> bool:
        """May ``path`` (path plus optional ``?query``) be fetched?"""
        path = _normalize(path or "/")
        if path == "/robots.txt":
            return True
        best: Rule | None = None
        for rule in self.rules:
            if rule.regex.match(path):
                if (best is None or len(rule.pattern) > len(best.pattern)
                        or (len(rule.pattern) == len(best.pattern) and rule.allow)):
                    best = rule
        return best is None or best.allow


def product_token(user_agent: str) -> str:
    """``newsdesk/0.1 (+https://...)`` -> ``newsdesk``."""
    match = re.match(r"[A-Za-z_-]+", user_agent.strip())
    return match.group(0).lower() if match else user_agent.strip().lower()


def parse_robots(text: str, user_agent: str) -> RobotsRules:
    """The rules of ``text`` that apply to ``user_agent`` (RFC 9309 grouping)."""
    token = product_token(user_agent)
    groups: list[tuple[list[str], RobotsRules]] = []
    agents: list[str] = []
    current: RobotsRules | None = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "user-agent":
            if current is not None:  # a user-agent after rules starts a new group
                agents, current = [], None
            agents.append(product_token(value))
        elif key in ("allow", "disallow", "crawl-delay") and agents:
            if current is None:
                current = RobotsRules()
                groups.append((agents, current))
            if key == "crawl-delay":
                try:
                    current.crawl_delay = float(value)
                except ValueError:
                    pass
            elif value:  # an empty Disallow means "nothing disallowed"
                pattern = _normalize(value)
                current.rules.append(Rule(key == "allow", pattern, _compile(pattern)))
    mine = [rules for names, rules in groups if token in names]
    if not mine:
        mine = [rules for names, rules in groups if "*" in names]
    merged = RobotsRules()
    for rules in mine:  # groups naming the same agent are merged
        merged.rules.extend(rules.rules)
        merged.crawl_delay = merged.crawl_delay or rules.crawl_delay
    return merged


class RobotsCache:
    """Fetches robots.txt through ``fetch`` and answers ``check(url)`` from a cache."""

    def __init__(self, fetch: RobotsFetch, user_agent: str, *, ttl: float = 3600.0,
                 error_ttl: float = 600.0, max_hosts: int = 1024,
                 clock: Callable[[], float] = time.monotonic):
        self.fetch = fetch
        self.user_agent = user_agent
        self.ttl = ttl
        self.error_ttl = error_ttl
        self.max_hosts = max_hosts
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[float, RobotsRules]] = OrderedDict()

    def check(self, url: str) -> None:
        """Raise RobotsDisallowed if robots.txt forbids ``url`` to our user agent."""
        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        if not self.rules_for(url).allowed(path):
            raise RobotsDisallowed(f"robots.txt of {parts.hostname} disallows {path[:200]}")

    def rules_for(self, url: str) -> RobotsRules:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1].lower()}"
        now = self.clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                self._cache.move_to_end(key)
                return hit[1]
        rules, ttl = self._load(key + "/robots.txt")
        with self._lock:
            self._cache[key] = (now + ttl, rules)
            self._cache.move_to_end(key)
            while len(self._cache) > self.max_hosts:
                self._cache.popitem(last=False)
        return rules

    def _load(self, robots_url: str) -> tuple[RobotsRules, float]:
        try:
            status, body = self.fetch(robots_url)
        except BlockedAddress:
            raise
        except FetchError:
            return RobotsRules.allow_all(), self.error_ttl
        if 200 <= status < 300:
            text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
            return parse_robots(text, self.user_agent), self.ttl
        if status == 429 or status >= 500:
            return RobotsRules.disallow_all(), self.error_ttl
        return RobotsRules.allow_all(), self.ttl
