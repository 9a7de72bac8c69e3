"""The anonymous-reader page cache: a page is rendered once and served from memory to
visitors without a session, but never outlives a change to the data, never holds a page
made for one person, and never serves admin pages or errors."""

from __future__ import annotations

from sqlalchemy import text
from starlette.testclient import TestClient

from newsdesk.web import create_app
from newsdesk.web.security import COOKIE

from test_web_admin import login
from test_web_fixtures import client, site  # noqa: F401  (fixtures)


def test_second_anonymous_visit_is_served_from_memory(client, site):
    url = f"/articles/{site['plain_id']}"
    client.get(url)   # the first reader has the AI summary computed (a write: cached pages end)
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert "x-cache" not in first.headers
    assert second.headers["x-cache"] == "hit" and second.headers["age"] == "0"
    assert second.text == first.text
    # the security headers are added to cached answers too
    assert "script-src 'self'" in second.headers["content-security-policy"]
    # another format of the same page is its own entry
    twin = client.get(url, headers={"accept": "application/json"})
    assert "x-cache" not in twin.headers and twin.json()["article"]["id"] == site["plain_id"]


def test_a_write_to_the_database_ends_the_cached_page_at_once(client, site):
    url = f"/articles/{site['plain_id']}"
    client.get(url)
    with site["db"].write() as conn:   # e.g. the ingest worker, in another process
        conn.execute(text("UPDATE articles SET title = 'Corrected headline' WHERE id = :i"),
                     {"i": site["plain_id"]})
    fresh = client.get(url)
    assert "x-cache" not in fresh.headers
    assert "Corrected headline" in fresh.text


def test_visitors_with_a_session_always_get_their_own_page(client, site):
    login(client)                    # the admin session cookie is now sent
    assert COOKIE in client.cookies
    url = f"/articles/{site['plain_id']}"
    client.get(url)
    assert "x-cache" not in client.get(url).headers


def test_errors_posts_and_admin_pages_are_never_cached(client, site):
    for _ in range(2):
        missing = client.get("/articles/999999")
        assert missing.status_code == 404 and "x-cache" not in missing.headers
    cached = "/outlets"
    client.get(cached)
    assert client.get(cached).headers.get("x-cache") == "hit"
    client.post("/search", data={})       # any change through this process empties it
    assert "x-cache" not in client.get(cached).headers
    # the login form sets a session cookie: a page for one visitor, not for all
    assert "set-cookie" in client.get("/admin/login").headers
    client.cookies.clear()
    assert "x-cache" not in client.get("/admin/login").headers


def test_zero_seconds_turns_the_cache_off(site):
    app = create_app(site["settings"].with_(page_cache_seconds=0), site["db"])
    with TestClient(app) as plain:
        plain.get("/outlets")
        assert "x-cache" not in plain.get("/outlets").headers
