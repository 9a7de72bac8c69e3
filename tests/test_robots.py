"""robots.txt: RFC 9309 matching (by Protego), the per-host cache and its error policy, one
fetch per host however many threads ask at once, and Crawl-delay."""

from __future__ import annotations

import threading
import time

import pytest

from newsdesk.errors import BlockedAddress, FetchTimeout, RobotsDisallowed
from newsdesk.ingest.fetch import Fetcher
from newsdesk.ingest.robots import RobotsCache, parse_robots, product_token
from newsdesk.settings import Settings

from servers import LoopbackServer, Response

UA = "newsdesk/0.1 (+https://github.com/newsdesk/newsdesk; self-hosted news reader)"

ROBOTS = """
# comments and blank lines are ignored
User-agent: *
Disallow: /private/
Allow: /private/press/
Disallow: /*.pdf$
Disallow: /search?

User-agent: OtherBot
User-agent: NewsDesk
Disallow: /members
Crawl-delay: 2
"""


def test_product_token_is_the_first_word_of_the_user_agent():
    assert product_token(UA) == "newsdesk"
    assert product_token("Mozilla/5.0 (X11)") == "mozilla"


def test_our_own_group_wins_over_the_star_group():
    rules = parse_robots(ROBOTS, UA)
    assert not rules.allowed("/members/area")
    assert rules.allowed("/private/secret")  # only the * group says so; ours does not
    assert rules.crawl_delay == 2


def test_other_agents_fall_back_to_the_star_group():
    rules = parse_robots(ROBOTS, "SomeReader/1.0")
    assert not rules.allowed("/private/x")
    assert rules.allowed("/members")


def test_the_longest_match_wins_and_allow_wins_a_tie():
    rules = parse_robots(ROBOTS, "anybot")
    assert not rules.allowed("/private/report")
    assert rules.allowed("/private/press/release")  # longer Allow beats shorter Disallow
    tie = parse_robots("User-agent: *\nDisallow: /a\nAllow: /a\n", "anybot")
    assert tie.allowed("/a")


def test_wildcards_and_end_anchors():
    rules = parse_robots(ROBOTS, "anybot")
    assert not rules.allowed("/files/report.pdf")
    assert rules.allowed("/files/report.pdf?download=1")  # "$" anchors the end
    assert not rules.allowed("/search?q=news")
    assert rules.allowed("/search")


def test_empty_disallow_allows_everything_and_robots_txt_is_always_allowed():
    assert parse_robots("User-agent: *\nDisallow:\n", "x").allowed("/anything")
    assert parse_robots("User-agent: *\nDisallow: /\n", "x").allowed("/robots.txt")
    assert parse_robots("", "x").allowed("/")


def test_percent_encoding_is_compared_normalised():
    rules = parse_robots("User-agent: *\nDisallow: /caf%C3%A9\n", "x")
    assert not rules.allowed("/café/menu")
    assert not rules.allowed("/caf%c3%a9/menu")


# ------------------------------------------------------------------ the cache
class Site:
    """Stands in for fetching robots.txt: answers a fixed outcome and counts requests."""

    def __init__(self, status=200, body=b"", error: Exception | None = None):
        self.status, self.body, self.error = status, body, error
        self.requests: list[str] = []

    def __call__(self, url):
        self.requests.append(url)
        if self.error:
            raise self.error
        return self.status, self.body


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_rules_are_cached_per_host_until_the_ttl_expires():
    site, clock = Site(body=b"User-agent: *\nDisallow: /x\n"), Clock()
    cache = RobotsCache(site, UA, ttl=60, clock=clock)
    with pytest.raises(RobotsDisallowed, match=r"^robots.txt of a.example disallows /x/1$"):
        cache.check("https://a.example/x/1")
    cache.check("https://a.example/y")
    cache.check("https://b.example/y")
    assert site.requests == ["https://a.example/robots.txt", "https://b.example/robots.txt"]
    clock.now += 61
    cache.check("https://a.example/y")
    assert len(site.requests) == 3


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_a_missing_or_forbidden_robots_txt_allows_everything(status):
    RobotsCache(Site(status=status), UA).check("https://a.example/anything")


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_failing_robots_txt_disallows_everything_for_a_while(status):
    site, clock = Site(status=status), Clock()
    cache = RobotsCache(site, UA, ttl=3600, error_ttl=600, clock=clock)
    with pytest.raises(RobotsDisallowed):
        cache.check("https://a.example/story")
    site.status = 200
    clock.now += 601  # retried after error_ttl, not after the full ttl
    cache.check("https://a.example/story")
    assert len(site.requests) == 2


def test_an_unreachable_robots_txt_allows_everything():
    RobotsCache(Site(error=FetchTimeout("timed out")), UA).check("https://a.example/x")


def test_a_robots_txt_refused_by_the_ssrf_guard_is_refused_too():
    cache = RobotsCache(Site(error=BlockedAddress("refused: 10.0.0.1")), UA)
    with pytest.raises(BlockedAddress):
        cache.check("http://10.0.0.1/x")


def test_the_cache_is_bounded():
    cache = RobotsCache(Site(status=404), UA, max_hosts=3)
    for i in range(10):
        cache.check(f"https://host{i}.example/")
    assert len(cache._cache) == 3


# ------------------------------------------------------------------ through the fetcher
def test_the_fetcher_fetches_robots_txt_with_our_user_agent_and_obeys_it():
    routes = {"/robots.txt": Response(body=b"User-agent: newsdesk\nDisallow: /paywall\n"),
              "/paywall/story": Response(body=b"no"), "/free/story": Response(body=b"yes")}
    settings = Settings().with_(allow_private_networks=True, fetch_timeout=2.0)
    with LoopbackServer(routes) as server, Fetcher(settings) as fetcher:
        assert fetcher.get(server.url("/free/story"), check_robots=True).body == b"yes"
        with pytest.raises(RobotsDisallowed):
            fetcher.get(server.url("/paywall/story"), check_robots=True)
    assert server.paths() == ["/robots.txt", "/free/story"]
    assert server.requests[0].headers["user-agent"] == settings.user_agent


def test_a_server_error_on_robots_txt_keeps_the_fetcher_away():
    routes = {"/robots.txt": Response(503), "/story": Response(body=b"x")}
    settings = Settings().with_(allow_private_networks=True, fetch_timeout=2.0)
    with LoopbackServer(routes) as server, Fetcher(settings) as fetcher:
        with pytest.raises(RobotsDisallowed):
            fetcher.get(server.url("/story"), check_robots=True)
    assert server.paths() == ["/robots.txt"]


def test_threads_asking_at_once_share_one_fetch_of_robots_txt():
    """Seven sources on one host refreshed in parallel used to fetch its robots.txt seven
    times; the first thread fetches it and the others wait for that answer."""
    def slow(url):
        site.requests.append(url)
        time.sleep(0.2)
        return 200, b"User-agent: *\nDisallow: /x\n"
    site = Site()
    cache = RobotsCache(slow, UA)
    threads = [threading.Thread(target=cache.check, args=(f"https://a.example/story/{i}",))
               for i in range(7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert site.requests == ["https://a.example/robots.txt"]


def test_crawl_delay_spaces_the_requests_to_one_host():
    clock, slept = Clock(), []

    def sleep(seconds):
        slept.append(seconds)

    site = Site(body=b"User-agent: *\nCrawl-delay: 5\n")
    cache = RobotsCache(site, UA, clock=clock, sleep=sleep)
    for _ in range(3):
        cache.wait_turn("https://a.example/page", budget=60)
    assert slept == [5, 10]               # the first goes at once, then one turn every 5 s
    cache.wait_turn("https://b.example/page", budget=60)   # another host has its own turns
    assert slept == [5, 10]
    with pytest.raises(FetchTimeout, match="asks for 5 s between requests"):
        cache.wait_turn("https://a.example/page", budget=12)   # next turn is 15 s away


def test_the_fetcher_waits_for_the_crawl_delay_between_pages():
    routes = {"/robots.txt": Response(body=b"User-agent: *\nCrawl-delay: 0.3\n"),
              "/a": Response(body=b"a"), "/b": Response(body=b"b")}
    settings = Settings().with_(allow_private_networks=True, fetch_timeout=2.0)
    with LoopbackServer(routes) as server, Fetcher(settings) as fetcher:
        started = time.monotonic()
        fetcher.get(server.url("/a"), check_robots=True)
        fetcher.get(server.url("/b"), check_robots=True)
        assert time.monotonic() - started >= 0.3
    assert server.paths() == ["/robots.txt", "/a", "/b"]
