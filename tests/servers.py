"""Real HTTP servers on 127.0.0.1 for tests: no mocks, no internet.

``LoopbackServer`` answers with route functions::

    def feed(request: Request) -> Response:
        return Response(200, {"Content-Type": "application/rss+xml"}, b"<rss/>")

    with LoopbackServer({"/feed": feed, "/static": Response(body=b"hi")}) as server:
        fetcher.get(server.url("/feed"))
        assert server.requests[0].headers["user-agent"].startswith("newsdesk")

A route is a function of the ``Request`` or a fixed ``Response``; unknown paths get 404.
A ``Response`` body may be bytes or an iterable of bytes: an iterable is streamed without a
Content-Length (close-delimited), so an endless generator makes an endless body.

``LiveServer(app)`` runs an ASGI app (the site) under uvicorn in a thread (``url``).

``RawServer`` hands each accepted connection (a socket) to a function, for servers that
misbehave below HTTP: never answer, trickle bytes, send garbage.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable, Mapping
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str                    # without the query
    query: str
    headers: dict[str, str]      # keys lower-case
    body: bytes = b""


@dataclass
class Response:
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""


Route = Callable[[Request], Response] | Response


class LoopbackServer:
    """A threaded HTTP/1.1 server on a free port of 127.0.0.1."""

    def __init__(self, routes: Mapping[str, Route] | None = None, port: int = 0):
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._bind_port = port  # 0: a free one

    # -- lifecycle
    def start(self) -> "LoopbackServer":
        handler = type("Handler", (_Handler,), {"server_obj": self})
        self._httpd = _QuietHTTPServer(("127.0.0.1", self._bind_port), handler)
        self._httpd.daemon_threads = True
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- use
    @property
    def port(self) -> int:
        assert self._port is not None, "server not started"
        return self._port

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str) -> Callable[[Route], Route]:
        """Decorator form: ``@server.route("/feed")``."""
        def register(fn: Route) -> Route:
            self.routes[path] = fn
            return fn
        return register

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def _enter(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _QuietHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hangs up early (a fetcher past its size cap) is not news."""
        import sys
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_obj: LoopbackServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, parts.path, parts.query,
                          {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(length) if length else b"")
        owner = self.server_obj
        owner._enter(request)
        try:
            route = owner.routes.get(parts.path)
            if route is None:
                response = Response(404, {"Content-Type": "text/plain"}, b"not found")
            else:
                response = route if isinstance(route, Response) else route(request)
            self._send(response)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
        finally:
            owner._leave()

    do_POST = do_HEAD = do_GET

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        names = {k.lower() for k in response.headers}
        if isinstance(response.body, (bytes, bytearray)):
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            return
        self.send_header("Connection", "close")  # streamed: the body ends when we close
        self.close_connection = True
        self.end_headers()
        for chunk in response.body:
            self.wfile.write(chunk)


class RawServer:
    """Accepts TCP connections on 127.0.0.1 and runs ``handler(sock, server)`` for each in
    its own thread. Handlers should stop when ``server.stopping`` is set."""

    def __init__(self, handler: Callable[[socket.socket, "RawServer"], None], port: int = 0):
        self.handler = handler
        self._bind_port = port
        self.stopping = threading.Event()
        self.connections = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> "RawServer":
        self._sock.bind(("127.0.0.1", self._bind_port))
        self._sock.listen(16)
        self._sock.settimeout(0.05)
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            self.handler(conn, self)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.stopping.set()
        self._sock.close()
        with self._lock:
            for conn in self._open:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()

    def __enter__(self) -> "RawServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def read_request_head(conn: socket.socket, timeout: float = 2.0) -> bytes:
    """Read until the blank line ending the request head (for RawServer handlers)."""
    conn.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def free_port() -> int:
    """A port on 127.0.0.1 with nothing listening (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """uvicorn serving ``app`` on 127.0.0.1 (``port``, or a free one), in a thread, from
    ``with`` until its end; ``url`` is its base URL. ``lifespan="off"`` for a bare ASGI app
    that has no startup to run."""

    def __init__(self, app, port: int | None = None, lifespan: str = "on"):
        import uvicorn
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False,
                                                    lifespan=lifespan))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def record_connections(monkeypatch) -> list[tuple]:
    """Log the address of every outgoing ``socket.connect`` during a test, to prove that a
    refused address was never contacted. Use with pytest's ``monkeypatch``."""
    log: list[tuple] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address):  # type: ignore[no-untyped-def]
        log.append(address)
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return log
