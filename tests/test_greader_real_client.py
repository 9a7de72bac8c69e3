"""A real client: the PyPI ``google-reader`` package (written against Miniflux and FreshRSS;
it needs Python >= 3.12) logs in, lists subscriptions and labels, pages through the reading
list with continuations, reads contents, marks items read and starred, adds and edits a
subscription and marks everything read -- against ``newsdesk serve`` run as a real process.

The client runs in its own Python 3.12 virtualenv: ``NEWSDESK_GREADER_CLIENT_PYTHON`` (set
by ``.ci/run``), or one this test makes in ``.cache/greader-client`` from a Python 3.12 it
finds (``python3.12`` on PATH or pyenv's). Without one the test skips and says why.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apps_support import make_world
from newsdesk.storage.db import Database
from test_community_support import PASSWORD
from tests.servers import LoopbackServer, Response

ROOT = Path(__file__).resolve().parents[1]
CLIENT = "google-reader==0.0.3"
SESSION = Path(__file__).parent / "clients" / "greader_session.py"


def _python312() -> str | None:
    """A working Python 3.12 or newer (pyenv's shims may name versions not installed)."""
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        root = os.path.expanduser("~/.pyenv")
    candidates = sorted(glob.glob(os.path.join(root or "", "versions", "3.1[2-9]*", "bin", "python")))
    candidates += [shutil.which("python3.12"), shutil.which("python3.13")]
    for candidate in filter(None, candidates):
        try:
            ok = subprocess.run([candidate, "-c", "import sys; assert sys.version_info >= (3, 12)"],
                                capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if ok:
            return candidate
    return None


def client_python() -> str:
    """A Python with google-reader installed, or pytest.skip with the reason."""
    given = os.environ.get("NEWSDESK_GREADER_CLIENT_PYTHON")
    if given:
        return given
    venv = ROOT / ".cache" / "greader-client"
    python = venv / "bin" / "python"
    if python.exists() and subprocess.run([str(python), "-c", "import google_reader"],
                                          capture_output=True).returncode == 0:
        return str(python)
    base = _python312()
    if base is None:
        pytest.skip("the google-reader client needs Python >= 3.12: none found (python3.12 or "
                    "pyenv's); .ci/run sets NEWSDESK_GREADER_CLIENT_PYTHON when it has one")
    made = subprocess.run([base, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=120)
    installed = made.returncode == 0 and subprocess.run(
        [str(python), "-m", "pip", "install", "-q", CLIENT], capture_output=True, text=True,
        timeout=300).returncode == 0
    if not installed:
        pytest.skip(f"could not install {CLIENT} into a Python 3.12 virtualenv (no package index?)")
    return str(python)


def _free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def new_feed():
    server = LoopbackServer().start()
    items = "".join(f"<item><title>Harbour news {i}</title><link>{server.url(f'/h/{i}')}</link>"
                    f"<description>The harbour reopened after repairs, part {i}.</description></item>"
                    for i in range(2))
    server.routes["/feed.xml"] = Response(200, {"Content-Type": "application/rss+xml"}, (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title>'
        f"<link>{server.url('/')}</link>{items}</channel></rss>").encode())
    yield server
    server.stop()


def test_the_google_reader_client_against_newsdesk_serve(tmp_path, new_feed):
    python = client_python()
    path = tmp_path / "served.db"
    db = Database.from_url(f"sqlite:///{path}")
    world = make_world(db)
    db.close()
    port = _free_port()
    env = {**os.environ, "NEWSDESK_ALLOWED_NETWORKS": "127.0.0.0/8", "NEWSDESK_DATA_DIR": str(tmp_path),
           "NEWSDESK_SECRET_KEY": "real-client-test", "NEWSDESK_EXTRACT_PROCESSES": "0"}
    serve = subprocess.Popen([sys.executable, "-m", "newsdesk", "--db", str(path), "serve", "--port", str(port)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or serve.poll() is not None:
                    raise AssertionError(f"newsdesk serve did not start: {serve.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        run = subprocess.run([python, str(SESSION), f"http://127.0.0.1:{port}/", "root", PASSWORD,
                              new_feed.url("/feed.xml")], capture_output=True, text=True, timeout=180)
    finally:
        serve.terminate()
        serve.wait(20)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout)
    assert got["user"] == "root" and got["token_length"] == 57
    assert {s["title"] for s in got["subscriptions"]} == {"Outlet One", "Outlet Two", "Outlet Three"}
    assert {s["title"]: s["labels"] for s in got["subscriptions"]}["Outlet Three"] == ["local"]
    assert got["tags"] == ["user/-/state/com.google/starred", "user/-/label/local", "user/-/label/world"]
    heads = sorted([world.wire_articles[-1], world.local_articles[-1]] + world.loose, reverse=True)
    assert [int(i) for i in got["ids"]] == heads and got["pages"] == 3          # 5 items, 2 a page
    assert len(got["items"]) == 5 and sum(i["has_coverage"] for i in got["items"]) == 2
    first, second = got["ids"][0], got["ids"][1]
    assert first not in got["unread_after_read"] and second in got["unread_after_read"]
    assert got["starred"] == [second] and first in got["read"]
    assert got["added"]["results"] == 1 and got["added"]["name"] == "Harbour Gazette"
    assert got["after_edit"] == [{"id": got["added"]["stream_id"], "title": "Renamed by the app",
                                  "labels": ["apps"]}]
    assert got["unread_after_mark_all"] == [] and got["wrong_token"] == "refused"
