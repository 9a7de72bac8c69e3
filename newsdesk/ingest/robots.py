"""robots.txt: rules by Protego, fetched once per host, and its Crawl-delay honoured.

Parsing and matching are Protego's (RFC 9309 and Google's conventions: the group of our
product token, e.g. ``newsdesk`` for ``newsdesk/0.1 (...)``, else ``*``; the longest match
wins, ``Allow`` wins a tie; ``*`` and ``$`` in patterns; percent-encoding normalised).
``/robots.txt`` itself is always allowed.

Cache policy (per scheme://host:port, bounded LRU, thread-safe; concurrent first requests
for one host wait for a single fetch of its robots.txt):

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

``Crawl-delay`` (at most ``MAX_CRAWL_DELAY`` seconds) spaces the page requests to one host:
each request takes the next free turn and waits for it; a turn further away than the
fetch's time budget is a ``FetchTimeout`` (the page then falls back to the feed's content).
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from protego import Protego

from ..errors import BlockedAddress, FetchError, FetchTimeout, RobotsDisallowed

#: fetch(robots_url) -> (status, body). May raise FetchError when unreachable.
RobotsFetch = Callable[[str], tuple[int, bytes]]

MAX_ROBOTS_BYTES = 512 * 1024  # Google reads the first 500 KiB
MAX_CRAWL_DELAY = 60.0         # seconds; a larger Crawl-delay is taken as this


@dataclass
class RobotsRules:
    """The rules of one robots.txt, read for one user agent."""

    parser: Protego | None = None
    agent: str = "*"

    @classmethod
    def allow_all(cls) -> "RobotsRules":
        return cls()

    @classmethod
    def disallow_all(cls) -> "RobotsRules":
        return cls(Protego.parse("User-agent: *\nDisallow: /\n"))

    def allowed(self, path: str) -> bool:
        """May ``path`` (path plus optional ``?query``) be fetched?"""
        if self.parser is None or (path or "/").split("?")[0] == "/robots.txt":
            return True
        return self.parser.can_fetch(path or "/", self.agent)

    @property
    def crawl_delay(self) -> float | None:
        return self.parser.crawl_delay(self.agent) if self.parser is not None else None


def product_token(user_agent: str) -> str:
    """``newsdesk/0.1 (+https://...)`` -> ``newsdesk``."""
    match = re.match(r"[A-Za-z_-]+", user_agent.strip())
    return match.group(0).lower() if match else user_agent.strip().lower()


def parse_robots(text: str, user_agent: str) -> RobotsRules:
    """The rules of ``text`` that apply to ``user_agent``."""
    return RobotsRules(Protego.parse(text), product_token(user_agent))


class RobotsCache:
    """Fetches robots.txt through ``fetch`` and answers ``check(url)`` from a cache."""

    def __init__(self, fetch: RobotsFetch, user_agent: str, *, ttl: float = 3600.0,
                 error_ttl: float = 600.0, max_hosts: int = 1024,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.fetch = fetch
        self.user_agent = user_agent
        self.ttl = ttl
        self.error_ttl = error_ttl
        self.max_hosts = max_hosts
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[float, RobotsRules]] = OrderedDict()
        self._loading: dict[str, threading.Lock] = {}   # host -> lock of its one fetch
        self._turns: dict[str, float] = {}              # host -> next free Crawl-delay turn

    def check(self, url: str) -> None:
        """Raise RobotsDisallowed if robots.txt forbids ``url`` to our user agent."""
        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        if not self.rules_for(url).allowed(path):
            raise RobotsDisallowed(f"robots.txt of {parts.hostname} disallows {path[:200]}")

    def wait_turn(self, url: str, budget: float) -> None:
        """Honour the host's Crawl-delay: take its next free turn and sleep until then.
        A turn more than ``budget`` seconds away raises FetchTimeout."""
        delay = min(self.rules_for(url).crawl_delay or 0.0, MAX_CRAWL_DELAY)
        if delay <= 0:
            return
        key = _host_key(url)
        with self._lock:
            now = self.clock()
            turn = max(now, self._turns.get(key, now))
            if turn - now > budget:
                raise FetchTimeout(f"timed out: robots.txt of {urlsplit(url).hostname} asks for "
                                   f"{delay:g} s between requests; no turn within {budget:.0f} s")
            self._turns[key] = turn + delay
            if len(self._turns) > self.max_hosts:   # forget the turns already past
                self._turns = {k: t for k, t in self._turns.items() if t > now}
        if turn > now:
            self.sleep(turn - now)

    def rules_for(self, url: str) -> RobotsRules:
        key = _host_key(url)
        hit = self._cached(key)
        if hit is not None:
            return hit
        with self._lock:
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:  # one fetch per host; the others wait for it and read the cache
            hit = self._cached(key)
            if hit is not None:
                return hit
            now = self.clock()
            try:
                rules, ttl = self._load(key + "/robots.txt")
            except BaseException:
                with self._lock:
                    self._loading.pop(key, None)
                raise
            with self._lock:
                self._cache[key] = (now + ttl, rules)
                self._cache.move_to_end(key)
                while len(self._cache) > self.max_hosts:
                    self._cache.popitem(last=False)
                self._loading.pop(key, None)
        return rules

    def _cached(self, key: str) -> RobotsRules | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > self.clock():
                self._cache.move_to_end(key)
                return hit[1]
        return None

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


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1].lower()}"
