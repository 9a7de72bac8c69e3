"""Concurrent misses of one page are rendered once: real concurrent requests against a real
uvicorn server on loopback. The first reader renders, the others wait for it and are
answered from memory; a render that is stuck holds the others only ``wait`` seconds."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from newsdesk.storage import searching
from newsdesk.web import create_app
from newsdesk.web.pagecache import PageCache

from servers import LiveServer
from test_web_fixtures import build_site


def together(base: str, paths: list[str]) -> list[httpx.Response]:
    """Every path requested at the same moment, each on its own connection."""
    async def go():
        async with httpx.AsyncClient(base_url=base, timeout=30,
                                     limits=httpx.Limits(max_connections=len(paths))) as client:
            return await asyncio.gather(*(client.get(p) for p in paths))
    return asyncio.run(go())


class SlowPage:
    """An ASGI app that takes ``delay`` seconds per render (the first ``stuck`` renders take
    ``stuck_for``) and counts its renders per path."""

    def __init__(self, delay: float = 0.4, stuck: int = 0, stuck_for: float = 0.0,
                 status: int = 200):
        self.delay, self.stuck, self.stuck_for, self.status = delay, stuck, stuck_for, status
        self.renders: dict[str, int] = {}

    async def __call__(self, scope, receive, send):
        path = scope["path"]
        n = self.renders[path] = self.renders.get(path, 0) + 1
        await asyncio.sleep(self.stuck_for if n <= self.stuck else self.delay)
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": f"{path} render {n}".encode()})


def test_concurrent_misses_of_one_page_render_it_once():
    page = SlowPage()
    with LiveServer(PageCache(page, seconds=30, max_bytes=1 << 20, wait=10), lifespan="off") as live:
        base = live.url
        answers = together(base, ["/front"] * 12 + ["/other"] * 3)
    assert [a.status_code for a in answers] == [200] * 15
    assert page.renders == {"/front": 1, "/other": 1}
    front = answers[:12]
    assert {a.text for a in front} == {"/front render 1"}
    assert sorted(a.headers.get("x-cache", "miss") for a in front) == ["miss"] + ["shared"] * 11


def test_an_expired_page_is_rendered_once_again():
    page = SlowPage(delay=0.2)
    with LiveServer(PageCache(page, seconds=0.5, max_bytes=1 << 20, wait=10), lifespan="off") as live:
        base = live.url
        together(base, ["/search?q=x"] * 5)
        time.sleep(0.6)   # the cached page expires; readers keep coming
        answers = together(base, ["/search?q=x"] * 10)
    assert page.renders == {"/search": 2}
    assert {a.text for a in answers} == {"/search render 2"}


def test_a_stuck_render_holds_the_others_only_the_wait():
    page = SlowPage(delay=0.05, stuck=1, stuck_for=6.0)
    with LiveServer(PageCache(page, seconds=30, max_bytes=1 << 20, wait=0.5), lifespan="off") as live:
        base = live.url
        async def go():
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                stuck = asyncio.create_task(client.get("/front"))
                await asyncio.sleep(0.2)   # the first render has begun and hangs
                began = time.monotonic()
                others = await asyncio.gather(*(client.get("/front") for _ in range(4)))
                waited = time.monotonic() - began
                return await stuck, others, waited
        stuck, others, waited = asyncio.run(go())
    assert stuck.status_code == 200 and stuck.text == "/front render 1"
    assert all(a.status_code == 200 for a in others)
    assert waited < 3.0, f"readers behind a stuck render waited {waited:.1f} s"
    assert page.renders["/front"] >= 2   # they rendered it themselves


def test_an_error_is_not_shared_each_waiter_renders_its_own():
    page = SlowPage(delay=0.2, status=503)
    with LiveServer(PageCache(page, seconds=30, max_bytes=1 << 20, wait=10), lifespan="off") as live:
        base = live.url
        answers = together(base, ["/front"] * 4)
    assert [a.status_code for a in answers] == [503] * 4
    assert "x-cache" not in {k.lower() for a in answers for k in a.headers}
    assert page.renders == {"/front": 4}


@pytest.fixture
def counted_search(monkeypatch):
    """searching.search, counting the calls (the real function runs)."""
    calls = []
    real = searching.search

    def counting(*args, **kwargs):
        calls.append(args[1])
        time.sleep(0.3)   # as a search on a big archive on a busy machine takes
        return real(*args, **kwargs)
    monkeypatch.setattr(searching, "search", counting)
    return calls


def test_readers_searching_at_once_run_the_search_once(tmp_path, counted_search):
    site = build_site(tmp_path, articles_per_outlet=6)
    app = create_app(site["settings"].with_(page_cache_seconds=30), site["db"])
    try:
        with LiveServer(app) as live:
            base = live.url
            answers = together(base, ["/search?q=talks"] * 10 + ["/search.json?q=talks"] * 3)
    finally:
        site["db"].close()
    assert [a.status_code for a in answers] == [200] * 13
    assert counted_search == ["talks", "talks"]     # once per format, not once per reader
    assert len({a.text for a in answers[:10]}) == 1
