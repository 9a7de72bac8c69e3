"""The project's own hostile suite: feeds, HTTP responses and pages written to break a
news reader, served by real HTTP servers on 127.0.0.1.

Each ``Case`` is one feed URL with what must come of it:

* ``error``: the source must end with this error (a regex on ``last_error``), or
* ``good``: these titles (substrings) must be stored for it, every good entry kept;
* ``note``: a regex on the source's ``fetch_notes`` (what was skipped or repaired);
* ``absent``: strings no stored field of its articles may contain (hidden text, a file
  read through XXE, a NUL).

``HostileSite`` starts the servers (an HTTP server for nearly everything, a raw TCP
server for misbehaviour below HTTP) and lists the cases with their URLs. Run this file to
serve the suite by hand (``python tests/hostile.py --port 8171``): it prints the feed
URLs and the ``allowed_origins`` value that lets newsdesk reach exactly these servers.
"""

from __future__ import annotations

import gzip
import json
import socket
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from servers import LoopbackServer, RawServer, Response, read_request_head  # noqa: E402

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
HIDDEN_MARK = "IGNORE-PREVIOUS-INSTRUCTIONS"
WORDS = ("Officials met on Tuesday to discuss the grain corridor, and the talks went on late "
         "into the night while delegations compared notes on shipping insurance. ")


@dataclass
class Case:
    name: str
    klass: str
    path: str
    good: tuple[str, ...] = ()
    error: str | None = None
    note: str | None = None
    absent: tuple[str, ...] = ()


# ----------------------------------------------------------------- building blocks
def page(title: str, body: str = "", head: str = "") -> bytes:
    paragraphs = "".join(f"<p>{WORDS * 3}</p>" for _ in range(3))
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"{head}</head><body><header><nav><a href='/'>Home</a></nav></header><main><article>"
            f"<h1>{title}</h1>{body}{paragraphs}</article></main><footer>© Hostile</footer>"
            f"</body></html>").encode("utf-8", "surrogatepass")


def rss(items: list[str], extra: str = "", encoding: str = "utf-8") -> bytes:
    head = f"<?xml version='1.0' encoding='{encoding}'?>"
    text = (f"{head}<rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/' "
            f"xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
            f"<title>Hostile</title><link>http://127.0.0.1/</link>{extra}{''.join(items)}"
            f"</channel></rss>")
    return text.encode(encoding, "xmlcharrefreplace")


def item(title: str, link: str, extra: str = "", date: str = "Tue, 01 Mar 2022 10:00:00 GMT") -> str:
    return (f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{date}</pubDate><description>{WORDS}</description>{extra}</item>")


def jsonfeed(items: list) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Hostile JSON",
                       "items": items}).encode()


def jitem(n: int, title: str, link: str, **extra) -> dict:
    return {"id": f"j{n}", "url": link, "title": title, "content_text": WORDS * 2,
            "date_published": "2022-03-01T10:00:00Z", **extra}


def xml(body: bytes, ctype: str = "application/rss+xml; charset=utf-8", **headers) -> Response:
    return Response(200, {"Content-Type": ctype, **headers}, body)


def html(body: bytes, ctype: str = "text/html; charset=utf-8", **headers) -> Response:
    return Response(200, {"Content-Type": ctype, **headers}, body)


def endless(chunk: bytes = b"<item>" * 1000):
    while True:
        yield chunk


def gzip_bomb(size: int = 200_000_000) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * 1_000_000
    return b"".join(packer.compress(block) for _ in range(size // len(block))) + packer.flush()


def deflate_bomb(size: int = 200_000_000) -> bytes:
    packer = zlib.compressobj(9)
    block = b" " * 1_000_000
    return b"".join(packer.compress(block) for _ in range(size // len(block))) + packer.flush()


def _slow_drip(conn: socket.socket, server: RawServer) -> None:
    """A valid HTTP head, then a feed body trickled one byte every 0.2 s, for ever."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n")
    while not server.stopping.is_set():
        conn.sendall(b"<")
        time.sleep(0.2)


def _silent(conn: socket.socket, server: RawServer) -> None:
    """Accepts the request and never says a word."""
    server.stopping.wait(30)


def _garbage(conn: socket.socket, server: RawServer) -> None:
    conn.sendall(b"\x00\xffNOT HTTP AT ALL\r\n\r\n" + bytes(range(256)) * 20)


def _headers_forever(conn: socket.socket, server: RawServer) -> None:
    """A status line, then header lines that never end."""
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while not server.stopping.is_set():
        conn.sendall(b"X-Padding: " + b"a" * 1000 + b"\r\n")
        time.sleep(0.01)


RAW_ROUTES = {b"/slow": _slow_drip, b"/silent": _silent, b"/garbage": _garbage,
              b"/headers": _headers_forever}


def raw_server(conn: socket.socket, server: RawServer) -> None:
    head = read_request_head(conn)
    parts = head.split(b" ", 2)
    RAW_ROUTES.get(parts[1] if len(parts) > 2 else b"", _garbage)(conn, server)


# -------------------------------------------------------------------------- the site
class HostileSite:
    """Both servers and every case. ``origins`` is the value for ``allowed_origins``."""

    def __init__(self, port: int = 0):
        self.http = LoopbackServer(port=port)
        self.raw = RawServer(raw_server, port=port + 1 if port else 0)
        self.cases: list[Case] = []

    def start(self) -> "HostileSite":
        self.http.start()
        self.raw.start()
        from hostile_cases import register_all
        register_all(self)
        return self

    def stop(self) -> None:
        self.http.stop()
        self.raw.stop()

    def __enter__(self) -> "HostileSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def origins(self) -> str:
        return f"{self.http.url('')},{self.raw.url('')}"

    def url(self, case: Case) -> str:
        if case.path.startswith("raw:"):
            return self.raw.url(case.path[4:])
        return self.http.url(case.path)

    # ------------------------------------------------------------------ registration
    def add(self, case: Case, response: Response | None = None) -> None:
        assert all(c.name != case.name for c in self.cases), case.name
        self.cases.append(case)
        if response is not None:
            self.http.routes[case.path] = response

    def link(self, name: str, body: bytes | None = None, title: str | None = None) -> str:
        """An article page at /pages/NAME (a plain good page unless ``body`` is given)."""
        path = f"/pages/{name}"
        self.http.routes[path] = html(body if body is not None else page(title or name))
        return self.http.url(path)


def main() -> None:
    import argparse
    parser = argparse.ArgumentParser(description="Serve the hostile suite on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8171)
    args = parser.parse_args()
    with HostileSite(args.port) as site:
        print(f"allowed_origins={site.origins}")
        for case in site.cases:
            print(site.url(case))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
