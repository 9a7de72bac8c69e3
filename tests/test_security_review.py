"""The holes of the security review (issue 18), each shown closed against the real thing:
a real uvicorn server and SMTP sink on 127.0.0.1, the real database (SQLite and PostgreSQL).

- a password-reset request with a forged Host header mails no link to the forger's host;
- a reset link stops working once the password changes, and asking for resets says the
  same whether or not the account exists, also past the per-account limit;
- Ask: a GET computes and writes nothing, the POST needs the CSRF token, is rate limited,
  and spends the model endpoint only within the per-address budget;
- the admin login stops a brute force (even the right password waits), and a copied admin
  cookie dies on logout and when the admin password changes;
- the rate limiter lets exactly ``limit`` of many concurrent hits through;
- X-Forwarded-For counts only from a trusted proxy;
- the signing key file is created once under a race of workers;
- the model endpoint's answer is read with a byte cap.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text
from starlette.requests import Request
from starlette.testclient import TestClient

from newsdesk.community import RateLimited
from newsdesk.community.mail import Mailer
from newsdesk.community.ratelimit import RateLimiter
from newsdesk.web import create_app
from test_community_support import (PASSWORD, LiveServer, SMTPSink, client, csrf_of, login,
                                     make_app, make_site, page_csrf, wait_for)

PUBLIC = "https://news.example.org"


def _signup(http, name="alice", mail="alice@example.org"):
    page = http.get("/signup")
    made = http.post("/signup", data={"csrf": csrf_of(page.text), "username": name,
                                      "email": mail, "password": PASSWORD, "next": "/"})
    assert made.status_code == 303


@pytest.fixture
def mailed(settings, db):
    """A live site with a mail sink; ``start(public_url)`` serves it."""
    make_site(db)
    servers = []
    with SMTPSink() as sink:
        def start(public_url=""):
            app, community = make_app(settings.with_(public_url=public_url), db,
                                      mailer=Mailer("127.0.0.1", sink.port, "desk@example.org", timeout=5))
            server = LiveServer(app).__enter__()
            servers.append(server)
            return server
        yield start, sink, db
        for server in servers:
            server.__exit__(None, None, None)


def _reset_links(sink) -> list[str]:
    bodies = [email.message_from_string(m["data"], policy=email.policy.default).get_content()
              for m in sink.messages]
    return [re.search(r"(\S+/password/reset\?token=[\w-]+)", b).group(1) for b in bodies]


# ----------------------------------------------------------------- password reset
def test_a_forged_host_header_never_reaches_the_mailed_link(mailed):
    start, sink, _ = mailed
    server = start(PUBLIC)   # the site knows its public address
    http = client(server)
    forged = http.get("/password/forgot", headers={"Host": "attacker.example"})
    assert forged.status_code == 400 and "unknown host" in forged.text
    _signup(http)
    form = http.get("/password/forgot")
    asked = http.post("/password/forgot", data={"csrf": csrf_of(form.text), "who": "alice"},
                      headers={"Host": "attacker.example"})
    assert asked.status_code == 400
    http.post("/password/forgot", data={"csrf": csrf_of(form.text), "who": "alice"})
    wait_for(lambda: len(sink.messages) == 1)
    assert _reset_links(sink)[0].startswith(PUBLIC + "/password/reset?token=")
    # no public_url: links use this server's own address, whatever Host the request names
    other = client(start(""))
    form = other.get("/password/forgot")
    other.post("/password/forgot", data={"csrf": csrf_of(form.text), "who": "alice"},
               headers={"Host": "attacker.example"})
    wait_for(lambda: len(sink.messages) == 2)
    link = _reset_links(sink)[1]
    assert "attacker" not in link and link.startswith("http://127.0.0.1:8000/password/reset")
    # feeds are absolute links too
    feed = other.get("/feed.rss", headers={"Host": "attacker.example"})
    assert "attacker" not in feed.text and "http://127.0.0.1:8000/" in feed.text


def test_a_reset_link_dies_when_the_password_changes(mailed):
    start, sink, _ = mailed
    http = client(start())
    _signup(http)
    form = http.get("/password/forgot")
    http.post("/password/forgot", data={"csrf": csrf_of(form.text), "who": "alice"})
    wait_for(lambda: len(sink.messages) == 1)
    token = _reset_links(sink)[0].split("token=")[1]
    changed = http.post("/account/password", data={"csrf": page_csrf(http), "old": PASSWORD,
                                                    "new": "a brand new password"})
    assert changed.status_code == 303
    used = http.post("/password/reset", data={"csrf": page_csrf(http, "/password/reset"),
                                              "token": token, "password": "the attacker's choice"})
    assert used.status_code == 401
    assert login(client(start()), "alice", "a brand new password").status_code == 303


def test_asking_for_resets_says_the_same_whether_the_account_exists(mailed):
    start, sink, _ = mailed
    http = client(start())
    _signup(http)
    answers = set()
    for who in ["alice"] * 5 + ["nobody"] * 2:   # the account limit is 3 an hour
        form = http.get("/password/forgot")
        page = http.post("/password/forgot", data={"csrf": csrf_of(form.text), "who": who})
        assert page.status_code == 200 and "on its way" in page.text
        answers.add(page.text)   # the whole page, byte for byte
    assert len(answers) == 1
    wait_for(lambda: len(sink.messages) == 3)


# ----------------------------------------------------------------- Ask
def test_ask_is_rate_limited_per_address(site_app):
    app, sid = site_app(ask_per_minute_ip=3)
    with TestClient(app) as c:
        form = c.get(f"/stories/{sid}/ask", headers={"Accept": "application/json"}).json()
        codes = [c.post(f"/stories/{sid}/ask", data={"q": f"question {n}", "csrf": form["csrf"]}).status_code
                 for n in range(5)]
        assert codes == [200, 200, 200, 429, 429]


def test_the_model_answers_anonymous_askers_within_a_daily_budget(site_app):
    calls = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(500)   # the endpoint is counted, whatever it answers

    app, sid = site_app(ai_provider="openai", llm_base_url="http://llm.example/v1",
                        llm_model="m", llm_asks_per_ip_day=2, ask_per_minute_ip=10)
    app.state.ai.provider.transport = httpx.MockTransport(endpoint)   # the public internet
    with TestClient(app) as c:
        form = c.get(f"/stories/{sid}/ask", headers={"Accept": "application/json"}).json()
        for question in ("How long did the call last?", "The call lasted how long?",
                         "How many hours did the call last?", "Did the call last two hours?"):
            page = c.post(f"/stories/{sid}/ask", data={"q": question, "csrf": form["csrf"]})
            assert page.status_code == 200
        assert len(calls) == 2 and "model answers for your address are used up" in page.text


@pytest.fixture
def site_app(tmp_path):
    from test_web_fixtures import build_site
    data = build_site(tmp_path, articles_per_outlet=2, admin_password="correct horse")

    def make(**settings):
        app = create_app(data["settings"].with_(**settings), data["db"])
        return app, data["story_id"]
    yield make
    data["db"].close()


# ----------------------------------------------------------------- admin
def _admin_login(c, password="correct horse"):
    token = csrf_of(c.get("/admin/login").text)
    return c.post("/admin/login", data={"password": password, "csrf": token}, follow_redirects=False)


def test_admin_brute_force_is_stopped(site_app):
    app, _ = site_app()
    with TestClient(app) as c:
        codes = [_admin_login(c, f"guess {n}").status_code for n in range(5)]
        assert codes == [401] * 5
        stopped = _admin_login(c)                # the right password, too late
        assert stopped.status_code == 429 and int(stopped.headers["retry-after"]) > 60
        assert c.get("/admin", headers={"Accept": "application/json"}).status_code == 401


def test_a_copied_admin_cookie_dies_on_logout_and_on_a_new_password(site_app):
    app, _ = site_app()
    with TestClient(app) as c:
        assert _admin_login(c).status_code == 303
        copied = dict(c.cookies)
        assert c.get("/admin").status_code == 200
    with TestClient(app, cookies=copied) as thief:
        assert thief.get("/admin").status_code == 200
    # the operator changes the admin password and restarts: the copy no longer opens /admin
    changed, _ = site_app(admin_password="a new admin password")
    with TestClient(changed, cookies=copied) as thief:
        assert thief.get("/admin", headers={"Accept": "application/json"}).status_code == 401
    # logging out ends the session on the server, not only in the browser that logged out
    with TestClient(app) as c:
        _admin_login(c)
        copied = dict(c.cookies)
        page = c.get("/admin")
        c.post("/admin/logout", data={"csrf": csrf_of(page.text)})
    with TestClient(app, cookies=copied) as thief:
        assert thief.get("/admin", headers={"Accept": "application/json"}).status_code == 401


# ----------------------------------------------------------------- the limiter
def test_the_limiter_lets_exactly_the_limit_through_under_concurrency(db):
    limiter = RateLimiter()
    barrier = threading.Barrier(12)

    def attempt(_):
        barrier.wait()
        try:
            with db.write() as conn:
                limiter.hit(conn, "concurrency:test", 5, 60, what="limited")
            return True
        except RateLimited:
            return False

    with ThreadPoolExecutor(12) as pool:
        passed = sum(pool.map(attempt, range(12)))
    assert passed == 5
    with db.read() as conn:
        assert conn.execute(text("SELECT count(*) FROM rate_events WHERE bucket = 'concurrency:test'")
                            ).scalar() == 5


def test_forwarded_for_counts_only_from_a_trusted_proxy(site_app):
    seen = []
    app, _ = site_app(trusted_proxies="127.0.0.1")
    from newsdesk.web.community.base import client_ip

    @app.get("/whoami")
    async def whoami(request: Request):
        seen.append(client_ip(request))
        return {}

    with TestClient(app, client=("127.0.0.1", 5000)) as proxied:
        proxied.get("/whoami?by=proxy", headers={"X-Forwarded-For": "203.0.113.7"})
    with TestClient(app, client=("198.51.100.2", 5000)) as direct:   # forges the header
        direct.get("/whoami?by=client", headers={"X-Forwarded-For": "203.0.113.8"})
    assert seen == ["203.0.113.7", "198.51.100.2"]


# ----------------------------------------------------------------- key file, model body
def test_racing_workers_agree_on_one_signing_key(tmp_path, settings):
    from newsdesk.web.security import secret_key
    settings = settings.with_(data_dir=str(tmp_path), secret_key="")
    barrier = threading.Barrier(8)

    def worker(_):
        barrier.wait()
        return secret_key(settings)

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(worker, range(8)))
    assert len(keys) == 1 and (tmp_path / "secret_key").read_text() == keys.pop()
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]   # no temporary files left


def test_the_model_answer_is_read_with_a_byte_cap(settings):
    from newsdesk.ai import provider as provider_module
    from newsdesk.ai.model import Doc  # noqa: F401
    sent = []

    async def endless():
        for _ in range(100_000):   # 6.4 GB if anyone kept it all
            sent.append(1)
            yield b"x" * 65536

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=endless()))
    llm = provider_module.OpenAICompatibleProvider.from_settings(
        settings.with_(ai_provider="openai", llm_base_url="http://llm.example/v1", llm_model="m"))
    llm.transport = transport
    with pytest.raises(provider_module.LLMError, match="larger than"):
        llm._post([{"role": "user", "content": "hi"}])
    assert len(sent) * 65536 < 2 * provider_module.MAX_RESPONSE_BYTES


def test_web_workers_get_the_settings_through_the_spawn_pipe_not_the_environment(tmp_path):
    """``newsdesk serve`` with several workers: the settings (secrets too) travel inside
    uvicorn's pickled configuration; the worker's app is built from them; nothing lands in
    the environment, which every child process inherits and /proc shows."""
    import dataclasses
    import os
    import pickle

    from newsdesk.cli import serve
    from newsdesk.settings import Settings
    from newsdesk.storage.db import Database
    settings = Settings(data_dir=str(tmp_path), admin_password="a secret admin password",
                        llm_api_key="sk-secret", secret_key="k")
    Database.open(settings).close()   # the parent migrates before starting workers
    config = serve.WorkerConfig("newsdesk.cli.serve:worker_app", factory=True, workers=2)
    config.newsdesk_settings = dataclasses.asdict(settings)
    in_worker = pickle.loads(pickle.dumps(config))   # what spawn sends down the pipe
    in_worker.load()
    app = in_worker.loaded_app
    while not hasattr(app, "state"):   # uvicorn wraps the factory's app in its middlewares
        app = app.app
    assert app.state.settings.admin_password == "a secret admin password"
    assert not any("secret" in value for value in os.environ.values())
    app.state.db.close()
