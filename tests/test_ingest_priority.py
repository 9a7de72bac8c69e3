"""Readers first: ``newsdesk run`` lowers its CPU priority by ``ingest_nice``, and every
thread and extraction process it starts runs at that priority (read from /proc of the real
running worker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_cli import ENV, newsdesk, site  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")


def _nice(stat: Path) -> int:
    return int(stat.read_text().rsplit(")", 1)[1].split()[16])


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = task / "children"
        if children.exists():
            out += [int(c) for c in children.read_text().split()]
    return out


def test_the_worker_its_threads_and_its_extraction_processes_run_niced(tmp_path, site):  # noqa: F811
    db = str(tmp_path / "n.db")
    assert newsdesk("add", site.url("/feed.xml"), db=db).returncode == 0
    env = {**ENV, "NEWSDESK_INGEST_NICE": "7", "NEWSDESK_EXTRACT_PROCESSES": "2"}
    base = os.nice(0)
    worker = subprocess.Popen([sys.executable, "-m", "newsdesk", "--db", db, "run", "--idle", "1"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:   # until the page extraction processes exist
            if newsdesk("articles", "--json", db=db).stdout.count("\n") >= 2:
                break
            time.sleep(0.5)
        else:
            pytest.fail("the worker stored nothing")
        threads = list(Path(f"/proc/{worker.pid}/task").iterdir())
        children = _children(worker.pid)
        assert len(threads) > 1 and children, "expected fetch threads and extraction processes"
        assert {_nice(t / "stat") for t in threads} == {base + 7}
        assert {_nice(Path(f"/proc/{c}/stat")) for c in children} == {base + 7}
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)


def test_zero_keeps_the_normal_priority(tmp_path):
    code = ("import os; from newsdesk.ingest.priority import lower_priority; "
            "before = os.nice(0); print(lower_priority(0) - before, end='')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout == "0"


def test_a_worker_leading_its_own_session_also_lowers_its_session_group():
    if not Path("/proc/self/autogroup").exists():
        pytest.skip("the kernel has no autogroups")
    code = ("import os; os.setsid(); from newsdesk.ingest.priority import lower_priority; "
            "lower_priority(6); print(open('/proc/self/autogroup').read().split()[-1], end='')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "6"
    # a worker started from a shell leaves the shell's group as it was
    # (compared whole: a process in the default group, as in some containers, reads an
    # empty file, and a session group reads "/autogroup-85 nice 0")
    code = ("from newsdesk.ingest.priority import lower_priority; lower_priority(6); "
            "print(open('/proc/self/autogroup').read(), end='')")
    mine = Path("/proc/self/autogroup").read_text()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == mine
