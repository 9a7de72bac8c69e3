"""/metrics as Prometheus reads it: parsed with prometheus_client's own text parser, summed
across the processes of one installation (two web workers and a fetch run), and closed to
anyone outside metrics_networks without the token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from newsdesk.ingest.refresh import Ingest, refresh_source
from newsdesk.settings import Settings
from newsdesk.storage import sources as source_store
from newsdesk.storage.db import Database
from newsdesk.web import create_app
from tests.test_cli import site as feed_site  # noqa: F401  (a feed and two pages)

ENV = {**os.environ, "NEWSDESK_ALLOWED_NETWORKS": "127.0.0.0/8", "NEWSDESK_EXTRACT_PROCESSES": "0"}
ENV.pop("PROMETHEUS_MULTIPROC_DIR", None)


def families(text: str) -> dict[str, dict]:
    """{family name: {(sample name, labels as sorted tuple): value}}."""
    out: dict[str, dict] = {}
    for family in text_string_to_metric_families(text):
        out[family.name] = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in family.samples}
    return out


def test_metrics_parse_and_cover_the_pipeline(settings, db, feed_site):
    source = source_store.add_source(db, feed_site.url("/feed.xml"))
    with Ingest.open(settings, db) as ingest:
        assert len(refresh_source(ingest, source).new_ids) == 2
    app = create_app(settings.with_(metrics_token="s3cret", page_cache_seconds=30), db)
    with TestClient(app) as client:
        for _ in range(3):
            client.get("/")                      # once rendered, twice from the page cache
        client.get("/articles/1")
        client.get("/articles/999999")
        assert client.get("/metrics").status_code == 403          # "testclient" is no address
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        answer = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["cache-control"] == "no-store"
    found = families(answer.text)
    for name in ("newsdesk_fetches", "newsdesk_fetch_duration_seconds", "newsdesk_articles_stored",
                 "newsdesk_duplicates", "newsdesk_revision_checks", "newsdesk_ai_queue_depth",
                 "newsdesk_ai_duration_seconds", "newsdesk_http_requests",
                 "newsdesk_http_duration_seconds", "newsdesk_errors", "newsdesk_websub_pushes",
                 "newsdesk_stories_stage_lag_seconds", "newsdesk_stories_pending_articles",
                 "newsdesk_revision_checks_due", "newsdesk_sources", "newsdesk_websub_queued_pushes"):
        assert name in found, name
    requests = found["newsdesk_http_requests"]
    assert requests[("newsdesk_http_requests_total",
                     (("method", "GET"), ("route", "/"), ("status", "200")))] >= 3
    assert requests[("newsdesk_http_requests_total",
                     (("method", "GET"), ("route", "/articles/{ref}"), ("status", "404")))] >= 1
    assert found["newsdesk_fetches"][("newsdesk_fetches_total", (("outcome", "ok"),))] >= 1
    assert found["newsdesk_articles_stored"][("newsdesk_articles_stored_total", ())] >= 2
    # two articles wait for the stories stage (it is not wired here): the lag is their age
    assert found["newsdesk_stories_pending_articles"][("newsdesk_stories_pending_articles", ())] == 2
    assert found["newsdesk_stories_stage_lag_seconds"][("newsdesk_stories_stage_lag_seconds", ())] > 0
    assert found["newsdesk_sources"][("newsdesk_sources", (("state", "enabled"),))] == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_several_processes_count_into_one_metrics_page(tmp_path, feed_site):
    """Two web workers answer requests (each counts its own) and a separate ``newsdesk
    fetch`` process fetches: one scrape shows every count, from every process."""
    db_path = tmp_path / "newsdesk.db"
    db = Database.from_url(f"sqlite:///{db_path}")
    source_store.add_source(db, feed_site.url("/feed.xml"))
    db.close()
    env = {**ENV, "NEWSDESK_DATA_DIR": str(tmp_path), "NEWSDESK_PAGE_CACHE_SECONDS": "0"}
    fetched = subprocess.run([sys.executable, "-m", "newsdesk", "--db", str(db_path), "fetch"],
                             env=env, capture_output=True, text=True, timeout=180)
    assert fetched.returncode == 0, fetched.stderr
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "newsdesk", "--db", str(db_path), "serve",
                             "--port", str(port)], env={**env, "NEWSDESK_WEB_WORKERS": "2"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/about", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        pids = set()
        with httpx.Client(base_url=base, timeout=10) as client:   # new connections: both workers
            for _ in range(40):
                with httpx.Client(base_url=base, timeout=10) as once:
                    assert once.get("/outlets.json").status_code == 200
            for _ in range(6):
                pids.add(client.get("/metrics").status_code)
            text = client.get("/metrics").text
        found = families(text)
        outlets = found["newsdesk_http_requests"][("newsdesk_http_requests_total", (
            ("method", "GET"), ("route", "/outlets.json"), ("status", "200")))]
        assert outlets == 40                       # every request once, whichever worker took it
        assert pids == {200}                       # loopback is in metrics_networks by default
        assert found["newsdesk_fetches"][("newsdesk_fetches_total", (("outcome", "ok"),))] == 1
        assert found["newsdesk_articles_stored"][("newsdesk_articles_stored_total", ())] == 2
        files = {f.name.split("_")[-1] for f in (tmp_path / "metrics").glob("*.db")}
        assert len(files) >= 3                     # the fetch run and the two workers (pids)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert "Traceback" not in proc.stderr.read().decode()


def test_metrics_networks_setting_is_validated():
    with pytest.raises(Exception, match="metrics_networks"):
        Settings(metrics_networks="not-a-network")
