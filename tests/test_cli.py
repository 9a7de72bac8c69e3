"""The command line, run as a real process: the contracts scripts rely on (JSON lines,
exit codes, one-line errors) and the everyday flow add -> fetch -> articles -> show."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pytest

from tests.servers import LoopbackServer, Response
from tests.test_pipeline import article_page, rss

ENV = {**os.environ, "NEWSDESK_ALLOWED_NETWORKS": "127.0.0.0/8", "NEWSDESK_EXTRACT_PROCESSES": "0"}


def newsdesk(*args: str, db: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "newsdesk"] + (["--db", db] if db else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**ENV, **(env or {})})


@pytest.fixture
def site():
    server = LoopbackServer().start()
    items = [(f"Talks resume, day {i}", server.url(f"/news/{i}")) for i in range(2)]
    server.routes["/"] = Response(200, {"Content-Type": "text/html"}, (
        '<html><head><link rel="alternate" type="application/rss+xml" title="Example News" '
        'href="/feed.xml"></head><body>Home</body></html>').encode())
    server.routes["/feed.xml"] = Response(200, {"Content-Type": "application/rss+xml"}, rss(items))
    for i in range(2):
        server.routes[f"/news/{i}"] = Response(200, {"Content-Type": "text/html"},
                                               article_page(f"Talks resume, day {i}", server.url(f"/news/{i}")))
    yield server
    server.stop()


def test_add_by_site_url_discovers_the_feed_then_fetch_list_and_show(tmp_path, site):
    db = str(tmp_path / "news.db")
    added = newsdesk("add", site.url("/"), "--category", "world", "--label", "public broadcaster", db=db)
    assert added.returncode == 0, added.stderr
    assert "discovered on" in added.stdout and "/feed.xml" in added.stdout

    fetched = newsdesk("fetch", db=db)
    assert fetched.returncode == 0, fetched.stderr
    assert "2 new articles, 0 errors" in fetched.stdout

    [source] = [json.loads(line) for line in newsdesk("sources", "--json", db=db).stdout.splitlines()]
    assert source["category"] == "world" and source["outlet_label"] == "public broadcaster"
    assert source["articles"] == 2 and source["error_count"] == 0

    listed = [json.loads(line) for line in newsdesk("articles", "--json", db=db).stdout.splitlines()]
    assert {a["title"] for a in listed} == {"Talks resume, day 0", "Talks resume, day 1"}
    assert all("text" not in a for a in listed)

    shown = json.loads(newsdesk("show", str(listed[0]["id"]), "--json", db=db).stdout)
    assert "tangible progress" in shown["text"] and shown["extraction"] == "page"


def test_update_changes_only_the_given_settings(tmp_path, site):
    db = str(tmp_path / "u.db")
    newsdesk("add", site.url("/feed.xml"), "--category", "world", db=db)
    changed = newsdesk("update", "1", "--disabled", "--interval", "3600", "--label", "wire", db=db)
    assert changed.returncode == 0, changed.stderr
    [source] = [json.loads(x) for x in newsdesk("sources", "--json", db=db).stdout.splitlines()]
    assert (source["enabled"], source["poll_interval"], source["outlet_label"], source["category"]) == \
        (False, 3600, "wire", "world")
    assert "nothing to change" in newsdesk("update", "1", db=db).stderr


def test_opml_export_and_import_keep_categories(tmp_path, site):
    db = str(tmp_path / "a.db")
    newsdesk("add", site.url("/feed.xml"), "--category", "world", db=db)
    exported = newsdesk("export-opml", str(tmp_path / "subs.opml"), db=db)
    assert exported.returncode == 0
    other = str(tmp_path / "b.db")
    imported = newsdesk("import-opml", str(tmp_path / "subs.opml"), db=other)
    assert "imported 1 source," in imported.stdout
    [source] = [json.loads(x) for x in newsdesk("sources", "--json", db=other).stdout.splitlines()]
    assert source["category"] == "world" and source["url"] == site.url("/feed.xml")


def test_extract_takes_files_gzipped_files_folders_and_urls(tmp_path, site):
    page = article_page("A page on disk", "http://example.org/a")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "one.html").write_bytes(page)
    (tmp_path / "pages" / "two.html.gz").write_bytes(gzip.compress(page))
    result = newsdesk("extract", str(tmp_path / "pages"), site.url("/news/0"))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["input"].rsplit("/", 1)[-1] for x in lines] == ["one.html", "two.html.gz", "0"]
    for line in lines:
        assert set(line) == {"input", "title", "text", "authors", "date", "language", "canonical_url"}
        assert "tangible progress" in line["text"] and "Share on Facebook" not in line["text"]
    assert lines[0]["canonical_url"] == "http://example.org/a"


@pytest.mark.parametrize("args, message", [
    (["show", "999"], "no article 999"),
    (["add", "http://10.0.0.1/feed"], "private address"),
    (["fetch", "nope"], "no source 'nope'"),
    (["import-opml", "/does/not/exist.opml"], "cannot read"),
    (["extract", "/does/not/exist.html"], "no such file"),
])
def test_bad_input_is_one_clean_line_and_a_nonzero_exit(tmp_path, args, message):
    result = newsdesk(*args, db=str(tmp_path / "x.db"))
    assert result.returncode != 0
    output = result.stderr + result.stdout
    assert message in output and "Traceback" not in output


def test_bad_settings_are_reported_before_anything_runs(tmp_path):
    result = newsdesk("sources", db=str(tmp_path / "x.db"), env={"NEWSDESK_PORT": "eighty"})
    assert result.returncode == 1 and "port" in result.stderr and "Traceback" not in result.stderr


def test_config_masks_secrets():
    result = newsdesk("config", env={"NEWSDESK_LLM_API_KEY": "sk-very-secret"})
    assert result.returncode == 0 and "sk-very-secret" not in result.stdout and "********" in result.stdout
    words = " ".join(result.stdout.split())   # help texts wrap at the terminal width
    assert "NEWSDESK_ALLOWED_NETWORKS" in words and "for a feed server on this machine" in words


def test_demo_builds_a_database_through_the_replay_server(tmp_path):
    result = newsdesk("demo", "--no-serve", "--limit", "6", env={"NEWSDESK_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "0 fetch errors" in result.stdout
    listed = newsdesk("articles", "--json", "--limit", "1000", db=str(tmp_path / "demo.db"))
    articles = [json.loads(x) for x in listed.stdout.splitlines()]
    assert len(articles) >= 4 * 6 - 2 and len({a["source_id"] for a in articles}) == 4
    assert all(a["extraction"] == "page" for a in articles)


def test_serve_runs_several_worker_processes_on_one_port(tmp_path):
    import socket
    import time

    import httpx
    db = str(tmp_path / "x.db")
    assert newsdesk("init", db=db).returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "newsdesk", "--db", db, "serve", "--port", str(port)],
                            env={**ENV, "NEWSDESK_WEB_WORKERS": "2", "NEWSDESK_DATA_DIR": str(tmp_path)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline, answers = time.monotonic() + 60, []
        while time.monotonic() < deadline and len(answers) < 20:
            try:
                answers.append(httpx.get(f"http://127.0.0.1:{port}/index.json", timeout=5))
            except httpx.TransportError:
                time.sleep(0.2)
        assert len(answers) == 20 and {r.status_code for r in answers} == {200}
        children = open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()
        assert len(children) >= 2     # the supervisor's worker processes
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert "Traceback" not in proc.stderr.read().decode()


def test_create_admin_takes_the_name_as_the_readme_writes_it_and_prompts_for_the_password(tmp_path):
    db = str(tmp_path / "admin.db")
    cmd = [sys.executable, "-m", "newsdesk", "--db", db, "create-admin", "alice"]
    made = subprocess.run(cmd, input="a long enough password\na long enough password\n",
                          capture_output=True, text=True, timeout=120, env=ENV)
    assert made.returncode == 0, made.stderr
    assert "admin alice created" in made.stdout and "/login" in made.stdout
    nameless = newsdesk("create-admin", db=db)
    assert nameless.returncode == 1 and "newsdesk create-admin NAME" in nameless.stderr
    assert "Traceback" not in nameless.stderr


def test_add_keeps_a_feed_that_is_down_and_says_when_it_will_be_retried(tmp_path):
    """A feed that answers 503 with Retry-After at the moment it is added is kept: its
    first failure is recorded and `fetch ID` does not come back before the server said."""
    db = str(tmp_path / "down.db")
    down = Response(503, {"Retry-After": "3600", "Content-Type": "text/plain"}, b"maintenance")
    with LoopbackServer({"/feed.xml": down}) as server:
        added = newsdesk("add", server.url("/feed.xml"), db=db)
        assert added.returncode == 0, added.stderr
        assert "added source 1" in added.stdout and "first fetch failed" in added.stdout
        assert "HTTP 503" in added.stdout and "retried at" in added.stdout and "in 59 min" in added.stdout
        [source] = [json.loads(x) for x in newsdesk("sources", "--json", db=db).stdout.splitlines()]
        assert source["error_count"] == 1 and source["retry_after"] is not None
        refetched = newsdesk("fetch", "1", db=db)
        assert refetched.returncode == 0, refetched.stderr
        assert "0 sources refreshed" in refetched.stdout and "Retry-After" in refetched.stdout
        assert server.paths() == ["/feed.xml"]      # asked once, when added; not again
    missing = LoopbackServer({}).start()
    try:   # a wrong address is still refused: nothing is added
        gone = newsdesk("add", missing.url("/nope.xml"), db=db)
    finally:
        missing.stop()
    assert gone.returncode == 1 and "HTTP 404" in gone.stderr
    assert len(newsdesk("sources", "--json", db=db).stdout.splitlines()) == 1


def test_a_site_added_while_down_is_resolved_to_its_feed_when_it_answers(tmp_path, site):
    """`add https://site/` while the site answers 503: kept as given; at the first fetch
    that succeeds, the feed its page advertises becomes the source's URL."""
    db = str(tmp_path / "later.db")
    home = site.routes["/"]
    site.routes["/"] = Response(503, {"Content-Type": "text/plain"}, b"down")
    added = newsdesk("add", site.url("/"), db=db)
    assert added.returncode == 0 and "first fetch failed" in added.stdout, added.stdout + added.stderr
    site.routes["/"] = home
    fetched = newsdesk("fetch", "1", db=db)
    assert "1 source refreshed, 2 new articles, 0 errors" in fetched.stdout, fetched.stdout + fetched.stderr
    [source] = [json.loads(x) for x in newsdesk("sources", "--json", db=db).stdout.splitlines()]
    assert source["url"] == site.url("/feed.xml") and source["site_url"] == site.url("/")
    assert source["error_count"] == 0 and source["articles"] == 2


def test_a_site_whose_feed_is_down_keeps_the_feed_it_advertises(tmp_path, site):
    db = str(tmp_path / "feeddown.db")
    site.routes["/feed.xml"] = Response(429, {"Retry-After": "120"}, b"slow down")
    added = newsdesk("add", site.url("/"), db=db)
    assert added.returncode == 0, added.stderr
    assert f"<{site.url('/feed.xml')}> (discovered on {site.url('/')})" in added.stdout
    assert "first fetch failed (HTTP 429" in added.stdout and "retried at" in added.stdout
    [source] = [json.loads(x) for x in newsdesk("sources", "--json", db=db).stdout.splitlines()]
    assert source["url"] == site.url("/feed.xml") and source["title"] == "Example News"
