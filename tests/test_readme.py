"""The README, walked as a new user would: its commands, as written, in a fresh folder.

A copy of the repository (as a fresh clone has it) is the working folder. The set-up block
runs first: the install (see ``readme_shell``: without a real install unless
``NEWSDESK_README_INSTALL=real``; the test command's pytest itself is left out, it is
what is running), then the demo, until it prints its address; its site answers and it
stops cleanly on SIGTERM. Then every command of every other ``sh`` block, in order,
against a local test site that stands in for the README's example addresses
(``readme_site``): each must exit 0 without a traceback, and the known commands are
checked for their effect (the second ``fetch`` requests every feed again, ``create-admin``
makes an admin who opens /moderation and /admin, and so on). A command added to the
README later runs the same way and must at least exit 0: add a check for it below.

Settings come from the environment as the README documents them: loopback allowed for
the local site, the port, a small demo (``NEWSDESK_DEMO_LIMIT``), an admin password.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import time
from pathlib import Path

import httpx
import pytest

from newsdesk.settings import Settings
from newsdesk.storage import articles as article_store
from newsdesk.storage import sources as source_store
from newsdesk.storage.db import Database
from tests.readme_shell import Background, code_blocks, install_stand_ins, run_line, subcommand, words
from tests.readme_site import SECTIONS, feed_requests, json_lines, start_site, user_files

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
ADMIN_PASSWORD = "an admin password for the walk"
ALICE_PASSWORD = "alice's long password"
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "newsdesk-data", "__pycache__", "*.egg-info",
                                     ".pytest_cache", "*.db")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _when_up(url: str, process: Background, timeout: float = 60) -> httpx.Response:
    """GET ``url`` once the server has started listening (it prints its address first)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=30)
        except httpx.TransportError:
            assert time.monotonic() < deadline, process.output()[-3000:]
            time.sleep(0.2)


class Walk:
    """Runs the README's lines one by one in ``folder`` and checks what each one did."""

    def __init__(self, folder: Path, env: dict, site):
        self.folder, self.env, self.site = folder, env, site
        self.logs = folder.parent / "logs"
        self.logs.mkdir()
        self.server: Background | None = None
        self.started: list[Background] = []   # stopped at the end whatever happens
        self.demo_hint: str | None = None
        self.done: list[str] = []

    # ------------------------------------------------------------- the set-up block
    def setup_line(self, line: str) -> None:
        parts = [p.strip() for p in line.split("&&")]
        tests = [i for i, p in enumerate(parts) if re.search(r"-m pytest\b|\bpytest\b", p)]
        if tests:   # the install part only: the tests are what is running this
            parts = parts[:tests[0]]
        if parts and subcommand(parts[-1]) == "demo":
            self.demo(" && ".join(parts))
        elif parts:
            ran = run_line(" && ".join(parts), self.folder, self.env, timeout=1800)
            assert ran.ok(), ran.why()

    def demo(self, line: str) -> None:
        demo = self.background(line, "demo")
        address = demo.wait_for(r"demo site: (http://\S+?)/? ", timeout=600).group(1)
        front = _when_up(address + "/", demo)
        assert front.status_code == 200 and "/stories/" in front.text, front.text[:500]
        assert httpx.get(address + "/admin/login", timeout=30).status_code == 200
        stopped = demo.stop()
        assert stopped.ok(), stopped.why()
        hint = re.search(r"(newsdesk --db \S+ articles)", stopped.stdout)
        assert hint, "the demo does not say how to read its database:\n" + stopped.stdout[-2000:]
        self.demo_hint = hint.group(1)
        self.done.append("demo")

    # ------------------------------------------------------------- every other block
    def line(self, line: str) -> None:
        first = words(line)[:1]
        if first and first[0] in (".", "source"):   # activate: keep what it exports
            command = " ".join(shlex.quote(w) for w in words(line))   # without its comment
            ran = run_line(f"{command} && env -0", self.folder, self.env)
            assert ran.returncode == 0, ran.why()
            self.env = dict(item.split("=", 1) for item in ran.stdout.split("\0") if "=" in item)
            return
        started = time.monotonic()
        line = self.local(line)
        sub = subcommand(line)
        if sub in ("serve", "run"):
            getattr(self, sub)(line)
        else:
            stdin = f"{ALICE_PASSWORD}\n{ALICE_PASSWORD}\n" if sub == "create-admin" else ""
            before = feed_requests(self.site)
            ran = run_line(line, self.folder, self.env, stdin=stdin)
            assert ran.ok(), ran.why()
            check = getattr(self, "check_" + (sub or "").replace("-", "_"), None)
            if check is not None:
                check(ran, before)
        self.done.append(sub or line)
        print(f"{time.monotonic() - started:6.1f} s  {line[:100]}")   # shown when the walk fails

    def local(self, line: str) -> str:
        """The README's example addresses, pointed at the local site."""
        line = line.replace("https://…", self.site.url("/rss/3"))
        return re.sub(r"https?://example\.org", self.site.url("").rstrip("/"), line)

    def db(self) -> Database:
        path = self.folder / "newsdesk-data" / "newsdesk.db"
        return Database.open(Settings(database_url=f"sqlite:///{path}"), migrate=False)

    def sources(self) -> list:
        db = self.db()
        try:
            return source_store.list_sources(db)
        finally:
            db.close()

    # ------------------------------------------------------------- the checks
    def check_init(self, ran, before) -> None:
        assert (self.folder / "newsdesk-data" / "newsdesk.db").is_file()
        assert "database ready" in ran.stdout

    def check_add(self, ran, before) -> None:
        added = re.search(r"added source (\d+)", ran.stdout)
        assert added, ran.why()
        source = next(s for s in self.sources() if s.id == int(added.group(1)))
        assert source.url.endswith(tuple(SECTIONS)), source.url   # a feed, found or given
        assert source.error_count == 0, source.last_error
        if "discovered on" in ran.stdout:
            assert source.url == self.site.url("/rss.xml")

    def check_import_opml(self, ran, before) -> None:
        assert re.search(r"imported 2 sources, skipped 0", ran.stdout), ran.why()
        assert {s.title for s in self.sources()} >= {"Region Daily", "Science Notes"}

    def check_sources(self, ran, before) -> None:
        for source in self.sources():
            assert source.name[:20] in ran.stdout, (source.name, ran.stdout)

    def check_fetch(self, ran, before) -> None:
        """Twice: the second pass requests every feed again (it once did nothing for 15
        minutes: the first pass left its claims behind)."""
        enabled = [s for s in self.sources() if s.enabled]
        assert f"{len(enabled)} sources refreshed" in ran.stdout, ran.why()
        assert feed_requests(self.site) - before == len(enabled)
        again_before = feed_requests(self.site)
        again = run_line(ran.line, self.folder, self.env)
        assert again.ok(), again.why()
        assert f"{len(enabled)} sources refreshed" in again.stdout, again.why()
        assert feed_requests(self.site) - again_before == len(enabled)
        db = self.db()
        try:
            assert article_store.count_articles(db) == sum(c for _, c, _ in SECTIONS.values())
        finally:
            db.close()

    def check_articles(self, ran, before) -> None:
        listed = json_lines(ran.stdout)
        assert listed and all("id" in a and "title" in a for a in listed), ran.why()
        if "| head" in ran.line:
            assert len(listed) == 10

    def check_show(self, ran, before) -> None:
        ref = int(re.search(r"show (\d+)", ran.line).group(1))
        db = self.db()
        try:
            article = article_store.get_article(db, ref)
        finally:
            db.close()
        assert article.title in ran.stdout and article.text.split("\n")[0][:60] in ran.stdout

    def check_extract(self, ran, before) -> None:
        records = json_lines(ran.stdout)
        assert len(records) == len(words(ran.line)) - 2, ran.why()   # one per input
        assert all(r.get("text") and not r.get("error") for r in records), records

    def check_update(self, ran, before) -> None:
        ref = int(re.search(r"update (\d+)", ran.line).group(1))
        source = next(s for s in self.sources() if s.id == ref)
        assert source.enabled is ("--disabled" not in ran.line)
        if "--interval" in ran.line:
            assert source.poll_interval == int(re.search(r"--interval (\d+)", ran.line).group(1))

    def check_recluster(self, ran, before) -> None:
        assert re.search(r"\d+ articles? processed, \d+ stor(y|ies)", ran.stdout), ran.why()

    def check_create_admin(self, ran, before) -> None:
        name = re.search(r"create-admin (\S+)", ran.line).group(1)
        assert f"admin {name} created" in ran.stdout, ran.why()
        started = self.server is None
        if started:   # the README serves after this line: look with a server of our own
            self.serve("newsdesk serve")
        try:
            self.admin_can_moderate(name)
        finally:
            if started:
                self.stop_server()

    def admin_can_moderate(self, name: str) -> None:
        """The account just made, and the NEWSDESK_ADMIN_PASSWORD admin, open /moderation."""
        with httpx.Client(base_url=self.address, timeout=30) as reader:
            form = reader.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
            login = reader.post("/login", data={"username": name, "password": ALICE_PASSWORD,
                                                "csrf": csrf})
            assert login.status_code == 303 and 'href="/moderation"' in reader.get("/").text
            assert reader.get("/moderation").status_code == 200
            assert reader.get("/admin").status_code == 200
        with httpx.Client(base_url=self.address, timeout=30) as admin:
            csrf = re.search(r'name="csrf" value="([^"]+)"', admin.get("/admin/login").text).group(1)
            admin.post("/admin/login", data={"password": ADMIN_PASSWORD, "csrf": csrf})
            page = admin.get("/admin")
            assert page.status_code == 200 and "fetch-health" in page.text
            assert admin.get("/moderation").status_code == 200

    def check_ai(self, ran, before) -> None:
        import json
        assert json.loads(ran.stdout), ran.why()

    def check_config(self, ran, before) -> None:
        text = " ".join(ran.stdout.split())
        assert "NEWSDESK_ALLOWED_NETWORKS" in text and "allowed although private" in text

    # ------------------------------------------------------------- long-running lines
    def serve(self, line: str) -> None:
        self.stop_server()
        self.server = self.background(line, "serve")
        self.address = self.server.wait_for(r"serving on (http://\S+?)/?\s").group(1)
        front = _when_up(self.address + "/", self.server)
        assert front.status_code == 200 and "/stories/" in front.text

    def stop_server(self) -> None:
        if self.server is not None:
            stopped = self.server.stop()
            self.server = None
            assert stopped.ok(), stopped.why()

    def run(self, line: str) -> None:
        worker = self.background(line, "run")
        worker.wait_for(r"polling")
        time.sleep(3)
        stopped = worker.stop()
        assert stopped.ok() and "stopped after" in stopped.stdout, stopped.why()

    def background(self, line: str, name: str) -> Background:
        process = Background(line, self.folder, self.env, self.logs / f"{name}.log")
        self.started.append(process)
        return process

    def finish(self) -> None:
        self.stop_server()
        if self.demo_hint:   # the command the demo printed reads the demo's articles
            ran = run_line(self.demo_hint + " --json", self.folder, self.env)
            assert ran.ok() and len(json_lines(ran.stdout)) > 0, ran.why()


@pytest.fixture
def walk(tmp_path):
    folder = tmp_path / "newsdesk"
    shutil.copytree(ROOT, folder, ignore=COPY_IGNORE)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEWSDESK_", "VIRTUAL_ENV", "PYTEST_"))}
    if os.environ.get("NEWSDESK_README_INSTALL") != "real":
        env["PATH"] = f"{install_stand_ins(tmp_path)}:{env['PATH']}"
    env.update(COLUMNS="200", NEWSDESK_ALLOWED_NETWORKS="127.0.0.0/8", NEWSDESK_PORT=str(_free_port()),
               NEWSDESK_DEMO_LIMIT="4", NEWSDESK_EXTRACT_PROCESSES="0",
               NEWSDESK_ADMIN_PASSWORD=ADMIN_PASSWORD)
    site = start_site()
    user_files(folder, site)
    walker = Walk(folder, env, site)
    try:
        yield walker
    finally:
        for process in walker.started:   # a failed check must not leave a server running
            if process.proc.poll() is None:
                process.stop()
        site.stop()


def test_every_command_of_the_readme_works_as_written(walk):
    blocks = code_blocks(README.read_text(encoding="utf-8"))
    setup = [b for b in blocks if "Set-up" in b.section]
    assert setup and any(subcommand(ln.split("&&")[-1]) == "demo" for ln in setup[0].lines)
    for line in setup[0].lines:
        walk.setup_line(line)
    for block in blocks:
        if block is not setup[0]:
            for line in block.lines:
                walk.line(line)
    walk.finish()
    expected = {"demo", "init", "add", "import-opml", "sources", "fetch", "run", "articles",
                "show", "extract", "update", "recluster", "serve", "create-admin", "ai", "config"}
    assert expected <= set(walk.done), expected - set(walk.done)
