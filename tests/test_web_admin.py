"""The admin: login with a signed session cookie, CSRF on every form, sources with fetch
health, add / disable / refresh."""

from __future__ import annotations

import time

from lxml import html
from starlette.testclient import TestClient

from newsdesk.storage.sources import get_source, list_sources
from newsdesk.web import create_app
from test_web_fixtures import build_site, css, site  # noqa: F401  (fixtures)


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
    return TestClient(create_app(site["settings"], site["db"], refresher=refresher),
                      raise_server_exceptions=False)


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
        data = c.get("/admin", headers={"Accept": "application/json"}).json()
        assert sum(data["sources"][0]["per_day"]) > 0


def test_add_disable_and_refresh_a_source(site):
    refreshed: list[int] = []
    with admin_client(site, refreshed) as c:
        login(c)
        token = csrf_of(c.get("/admin"))
        forged = c.post("/admin/sources", data={"url": "https://new.example/feed", "csrf": "x"})
        assert forged.status_code == 403
        added = c.post("/admin/sources", data={"url": "https://new.example/feed", "csrf": token,
                                               "title": "New Outlet", "outlet_label": "newspaper"},
                       follow_redirects=False)
        assert added.headers["location"] == "/admin?done=added"
        new = [s for s in list_sources(site["db"]) if s.url == "https://new.example/feed"][0]
        assert new.title == "New Outlet" and new.outlet_label == "newspaper"
        again = c.post("/admin/sources", data={"url": "https://new.example/feed", "csrf": token},
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
