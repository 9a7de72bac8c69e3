"""The admin: login with a signed session cookie, CSRF on every form, sources with fetch
health, add / disable / refresh."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from lxml import html
from starlette.testclient import TestClient

from newsdesk.storage.sources import get_source, list_sources
from newsdesk.web import create_app
from test_web_fixtures import build_site, css, site  # noqa: F401  (fixtures)
from tests.servers import LoopbackServer, Response


def csrf_of(response) -> str:
    return css(html.fromstring(response.text), "input[name=csrf]")[0].get("value")


def login(client, password="correct horse"):
    token = csrf_of(client.get("/admin/login"))
    return client.post("/admin/login", data={"password": password, "csrf": token},
                       follow_redirects=False)


def admin_client(site, refreshed=None):
    def refresher(source):
        if refreshed is not None:
            refreshed.append(source.id)
    settings = site["settings"].with_(allowed_networks="127.0.0.0/8", fetch_timeout=3.0)
    return TestClient(create_app(settings, site["db"], refresher=refresher),
                      raise_server_exceptions=False)


@pytest.fixture
def outlet():
    """A local site: a home page that advertises its feed, the feed, a page without feed
    and a feed whose server is down for the next hour."""
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Local Outlet</title>'
            b"<link>http://local/</link><item><title>One</title><guid>1</guid></item></channel></rss>")
    home = (b'<html><head><title>Local</title><link rel="alternate" type="application/rss+xml" '
            b'href="/news.rss"></head><body>Home</body></html>')
    with LoopbackServer({
            "/": Response(200, {"Content-Type": "text/html"}, home),
            "/news.rss": Response(200, {"Content-Type": "application/rss+xml"}, feed),
            "/plain": Response(200, {"Content-Type": "text/html"}, b"<html><body>No feed</body></html>"),
            "/down.xml": Response(503, {"Retry-After": "3600"}, b"maintenance")}) as server:
        yield server


def test_admin_is_disabled_without_a_password(tmp_path):
    data = build_site(tmp_path, articles_per_outlet=1, admin_password="")
    with TestClient(create_app(data["settings"], data["db"])) as c:
        page = c.get("/admin/login")
        assert page.status_code == 403 and "admin is disabled" in page.text
        assert c.get("/admin", headers={"Accept": "application/json"}).status_code == 403
        assert c.post("/admin/login", data={"password": ""}).status_code == 403
    data["db"].close()


def test_login_needs_the_password_and_a_csrf_token(site):
    with admin_client(site) as c:
        assert c.get("/admin", follow_redirects=False).headers["location"] == "/admin/login"
        assert c.get("/admin", headers={"Accept": "application/json"}).status_code == 401
        wrong = login(c, "wrong")
        assert wrong.status_code == 401 and "Wrong password" in wrong.text
        no_token = c.post("/admin/login", data={"password": "correct horse"})
        assert no_token.status_code == 403
        ok = login(c)
        assert ok.status_code == 303 and ok.headers["location"] == "/admin"
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        assert c.get("/admin").status_code == 200


def test_tampered_session_cookie_is_refused(site):
    with admin_client(site) as c:
        assert login(c).status_code == 303
        value = c.cookies.get("newsdesk_session")
        c.cookies.clear()
        c.cookies.set("newsdesk_session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
        assert c.get("/admin", headers={"Accept": "application/json"}).status_code == 401


def test_dashboard_shows_fetch_health_and_a_chart(site):
    from newsdesk.storage.sources import release
    release(site["db"], site["sources"][1].id, "x", error_count=3, last_error="HTTP 503 from host")
    with admin_client(site) as c:
        login(c)
        doc = html.fromstring(c.get("/admin").text)
        rows = css(doc, "li.item")
        assert len(rows) == 3
        failing = css(doc, f"#source-{site['sources'][1].id}")[0]
        assert "failing" in failing.get("class")
        assert "HTTP 503 from host" in failing.text_content()
        bars = css(rows[0], "svg.spark rect")
        assert len(bars) == 30
        heights = [int(b.get("height")) for b in bars]
        assert max(heights) > 1                       # articles of the last days show
        assert "Articles published per day, last 30 days:" in css(rows[0], "figure.per-day")[0].text_content()
        for row in rows:                              # no chart of zeros: a sentence says so
            if not css(row, "svg.spark"):
                assert "No article published in the last 30 days" in row.text_content()
        data = c.get("/admin", headers={"Accept": "application/json"}).json()
        assert sum(data["sources"][0]["per_day"]) > 0


def test_add_disable_and_refresh_a_source(site):
    refreshed: list[int] = []
    with admin_client(site, refreshed) as c:
        login(c)
        token = csrf_of(c.get("/admin"))
        forged = c.post("/admin/sources", data={"url": "https://new.example/feed", "csrf": "x"})
        assert forged.status_code == 403
        feed_url = site["sources"][0].url
        with LoopbackServer({"/feed": Response(200, {"Content-Type": "application/rss+xml"}, (
                b'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed title</title>'
                b"</channel></rss>"))}) as server:
            feed_url = server.url("/feed")
            added = c.post("/admin/sources", data={"url": feed_url, "csrf": token,
                                                   "title": "New Outlet", "outlet_label": "newspaper"},
                           follow_redirects=False)
            new = [s for s in list_sources(site["db"]) if s.url == feed_url][0]
            assert added.headers["location"] == f"/admin?added={new.id}#source-{new.id}"
            assert new.title == "New Outlet" and new.outlet_label == "newspaper"
            again = c.post("/admin/sources", data={"url": feed_url, "csrf": token},
                           follow_redirects=False)
            assert again.headers["location"] == "/admin?done=exists"
        bad = c.post("/admin/sources", data={"url": "javascript:alert(1)", "csrf": token})
        assert bad.status_code == 400
        c.post(f"/admin/sources/{new.id}/enabled", data={"enabled": "0", "csrf": token})
        assert get_source(site["db"], new.id).enabled is False
        kremlin = site["sources"][0].id
        started = c.post(f"/admin/sources/{kremlin}/refresh", data={"csrf": token},
                         follow_redirects=False)
        assert started.headers["location"] == "/admin?done=refreshing"
        deadline = time.monotonic() + 5
        while not refreshed and time.monotonic() < deadline:
            time.sleep(0.02)
        assert refreshed == [kremlin]
        # the source is claimed by the admin job until refresh_source releases it
        busy = c.post(f"/admin/sources/{kremlin}/refresh", data={"csrf": token},
                      follow_redirects=False)
        assert busy.headers["location"] == "/admin?done=busy"
        assert c.post("/admin/sources/99999/refresh", data={"csrf": token}).status_code == 404
        notice = html.fromstring(c.get("/admin?done=busy").text)
        assert "being refreshed already" in css(notice, "p.notice")[0].text_content()


def test_add_a_source_by_its_site_url_finds_the_feed(site, outlet):
    with admin_client(site) as c:
        login(c)
        token = csrf_of(c.get("/admin"))
        page = c.post("/admin/sources", data={"url": outlet.url("/"), "csrf": token,
                                              "category": "local"})
        assert page.status_code == 200
        new = [s for s in list_sources(site["db"]) if s.category == "local"]
        assert [s.url for s in new] == [outlet.url("/news.rss")]
        assert new[0].title == "Local Outlet" and new[0].kind == "feed"
        notice = css(html.fromstring(page.text), "p.notice")[0].text_content()
        assert f"<{outlet.url('/news.rss')}>" in notice and "the feed of" in notice


def test_a_page_without_a_feed_is_refused_with_the_reason_and_the_form_kept(site, outlet):
    with admin_client(site) as c:
        login(c)
        token = csrf_of(c.get("/admin"))
        before = len(list_sources(site["db"]))
        page = c.post("/admin/sources", data={"url": outlet.url("/plain"), "csrf": token,
                                              "title": "Keep me"})
        assert page.status_code == 400
        doc = html.fromstring(page.text)
        assert "no feed found" in css(doc, "p.error-message")[0].text_content()
        assert css(doc, "input[name=title]")[0].get("value") == "Keep me"
        assert len(list_sources(site["db"])) == before


def test_a_source_whose_server_is_down_is_added_with_its_retry_time(site, outlet):
    with admin_client(site) as c:
        login(c)
        token = csrf_of(c.get("/admin"))
        page = c.post("/admin/sources", data={"url": outlet.url("/down.xml"), "csrf": token})
        notice = css(html.fromstring(page.text), "p.notice")[0].text_content()
        assert "first fetch failed (HTTP 503" in notice and "it will be retried at" in notice
        [down] = [s for s in list_sources(site["db"]) if s.url == outlet.url("/down.xml")]
        assert down.retry_after is not None and down.next_check_at >= down.retry_after
        doc = html.fromstring(c.get("/admin").text)
        item = css(doc, f"#source-{down.id}")[0].text_content()
        assert "as the server asked (Retry-After)" in item and "in 59 minutes" in item


def test_the_fetch_health_chart_draws_every_check_of_the_week(site):
    from newsdesk.storage.sources import log_fetch, now
    source = site["sources"][0].id
    stamp = now()
    log_fetch(site["db"], source, stamp - timedelta(days=8), 100, "ok", 200, 3)   # too old
    log_fetch(site["db"], source, stamp - timedelta(days=3), 400, "ok", 200, 5)
    log_fetch(site["db"], source, stamp - timedelta(days=2), 100, "not_modified", 304)
    log_fetch(site["db"], source, stamp - timedelta(hours=1), 1600, "error", 503, 0, "HTTP 503")
    with admin_client(site) as c:
        login(c)
        doc = html.fromstring(c.get("/admin").text)
        chart = css(doc, f"#source-{source} svg.fetch-health")[0]
        bars = css(chart, "rect")
        assert [b.get("class") for b in bars] == ["ok", "nm", "err"]
        xs = [float(b.get("x")) for b in bars]
        assert xs == sorted(xs) and xs[-1] > 300             # placed by time, now on the right
        heights = [float(b.get("height")) for b in bars]
        assert heights[2] == max(heights) and heights[1] < heights[0]   # the slowest is tallest
        assert "HTTP 503" in bars[2].findtext("title") and "1.6 s" in bars[2].findtext("title")
        caption = css(doc, f"#source-{source} figcaption")[0].text_content()
        assert "3 checks (1 with content, 1 not modified, 1 error)" in caption
        assert "slowest 1.6 s" in caption
        other = css(doc, f"#source-{site['sources'][2].id} figcaption")[0].text_content()
        assert "No checks in the last 7 days" in other
        data = c.get("/admin", headers={"Accept": "application/json"}).json()
        [row] = [r for r in data["sources"] if r["id"] == source]
        assert [ch["status"] for ch in row["checks"]] == ["ok", "not_modified", "error"]


def test_the_password_admin_is_a_moderator_too_and_the_site_knows_them(site):
    with admin_client(site) as c:
        assert c.get("/moderation").status_code == 401
        login(c)
        assert c.get("/moderation").status_code == 200
        doc = html.fromstring(c.get("/").text)
        nav = css(doc, "header.site nav")[0]
        links = [a.get("href") for a in css(nav, "a")]
        assert "/moderation" in links and "/admin" in links and "/login" not in links
        token = csrf_of(c.get("/admin"))
        c.post("/admin/logout", data={"csrf": token})
        assert c.get("/moderation").status_code == 401
    from newsdesk.community import AuthError
    from newsdesk.community.accounts import Accounts
    with pytest.raises(AuthError):   # the built-in account has no password of its own
        Accounts(site["db"]).authenticate("_admin", "")


def test_checks_of_a_new_source_are_spread_over_the_time_it_has_existed():
    """Three checks of the last twenty minutes are not one bar at the week's right edge:
    the axis starts at the oldest check (at least an hour back)."""
    from newsdesk.web.health import health_chart
    from newsdesk.storage.sources import now
    stamp = now()
    checks = [{"started_at": stamp - timedelta(minutes=m), "duration_ms": 100, "status": "ok",
               "http_status": 200, "new_articles": 0} for m in (20, 10, 1)]
    chart = health_chart(checks, stamp)
    xs = [b["x"] for b in chart["bars"]]
    assert xs[1] - xs[0] > 40 and xs[2] - xs[1] > 40
    assert "a tick every 10 minutes" in chart["axis"] and len(chart["ticks"]) == 6
    week = health_chart([dict(checks[0], started_at=stamp - timedelta(days=9))] + checks, stamp)
    assert "the last 7 days" in week["axis"] and len(week["ticks"]) == 7
    burst = health_chart([dict(checks[2], status=s) for s in ("ok", "error", "not_modified")], stamp)
    xs = [b["x"] for b in burst["bars"]]   # one second apart: nudged apart, in order
    assert xs[0] < xs[1] < xs[2] and xs[2] - xs[0] >= 2 * (burst["bar"] + 1) - 0.01
    assert burst["bars"][1]["height"] >= 12    # a failure that took no time still shows
