"""The account page's app section over real HTTP: make an app password (shown once), use
it from an app, choose stories or articles, revoke it, sign out a password device."""

from __future__ import annotations

import re

from apps_support import GReader, app_for, make_world
from test_community_support import PASSWORD, LiveServer, client, login, page_csrf


def test_app_passwords_and_item_mode_from_the_account_page(settings, db):
    world = make_world(db)
    with LiveServer(app_for(settings, db)) as server, client(server) as http:
        assert login(http, "alice").status_code == 303
        page = http.get("/account")
        assert "Apps on your phone and computer" in page.text and "Reeder on my phone" in page.text
        assert f"{server.url}/api/fever.php" in page.text
        assert page.headers["cache-control"] == "private, no-store"
        made = http.post("/account/apps/passwords", data={"csrf": page_csrf(http), "name": "  My   tablet "})
        assert made.status_code == 200 and made.headers["cache-control"] == "private, no-store"
        password = re.search(r'<code id="app-password">([^<]+)</code>', made.text).group(1)
        assert "My tablet" in made.text and password not in http.get("/account").text   # shown once
        tablet = GReader(server.url)
        assert tablet.login("alice", password).status_code == 200
        assert len(tablet.ids(n=100)) == 5                       # stories: one item per story
        http.post("/account/apps/items", data={"csrf": page_csrf(http), "items": "articles"})
        assert len(tablet.ids(n=100)) == 8
        assert 'value="articles" checked' in http.get("/account").text
        bad = http.post("/account/apps/items", data={"csrf": page_csrf(http), "items": "everything"})
        assert bad.status_code == 400
        empty = http.post("/account/apps/passwords", data={"csrf": page_csrf(http), "name": " "})
        assert empty.status_code == 400 and "name the device" in empty.text
        no_csrf = http.post("/account/apps/passwords", data={"name": "sneaky"})
        assert no_csrf.status_code == 403
        # revoke from the page
        page = http.get("/account").text
        revoke = re.search(r'action="/account/apps/passwords/(\d+)/revoke"', page).group(1)
        done = http.post(f"/account/apps/passwords/{revoke}/revoke", data={"csrf": page_csrf(http)})
        assert done.status_code == 303 and done.headers["location"].startswith("/account?apps=revoked")
        assert tablet.get("user-info").status_code == 401
        # a device signed in with the account password, signed out from the page
        laptop = GReader(server.url)
        laptop.login("alice", PASSWORD)
        page = http.get("/account").text
        device = re.search(r'action="/account/apps/devices/([0-9a-f]{16})/revoke"', page).group(1)
        http.post(f"/account/apps/devices/{device}/revoke", data={"csrf": page_csrf(http)})
        assert laptop.get("user-info").status_code == 401
        # someone else's password cannot be revoked by id
        other = http.post("/account/apps/passwords/99999/revoke", data={"csrf": page_csrf(http)})
        assert other.status_code == 404
        tablet.close()
        laptop.close()
