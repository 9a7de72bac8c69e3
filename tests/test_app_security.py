"""App access security: one token per device, each revocable; revoking an app password ends
its devices only; a password change ends the devices signed in with the old password; a
banned reader's tokens stop; wrong tokens get 401; no token, password or Fever key ever
appears in a URL we make or in any log line (access log on, debug level)."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
import uvicorn
from sqlalchemy import text

from apps_support import GReader, app_for, fever_key, make_world
from newsdesk.community.apps import AppAccess
from test_community_support import PASSWORD, LiveServer, accounts


@pytest.fixture
def world(db):
    return make_world(db)


def test_tokens_per_device_and_revocation(settings, world):
    access = AppAccess(world.db, accounts(world.db))
    second = access.create_password(world.alice, "NetNewsWire on my Mac")
    with LiveServer(app_for(settings, world.db)) as server:
        phone, laptop, web = GReader(server.url), GReader(server.url), GReader(server.url)
        phone.login("alice", world.app_password)
        laptop.login("alice", second)
        web.login("alice", PASSWORD)
        assert len({phone.auth, laptop.auth, web.auth}) == 3
        devices = access.passwords(world.alice)
        assert [d["name"] for d in devices] == ["NetNewsWire on my Mac", "Reeder on my phone"]
        assert all(d["devices"] == 1 for d in devices)
        access.revoke_password(world.alice, devices[1]["id"])          # the phone's password
        assert phone.get("user-info").status_code == 401
        assert phone.login("alice", world.app_password).status_code == 401
        assert laptop.get("user-info").status_code == 200 and web.get("user-info").status_code == 200
        signed_in = access.password_devices(world.alice)
        assert len(signed_in) == 1 and signed_in[0]["client"].startswith("python-httpx")
        access.revoke_device(world.alice, signed_in[0]["id"])
        assert web.get("user-info").status_code == 401
        web.login("alice", PASSWORD)
        assert web.get("user-info").status_code == 200
        time.sleep(0.01)
        accounts(world.db).change_password(world.alice, PASSWORD, "a brand new password")
        assert web.get("user-info").status_code == 401                 # made with the old password
        assert laptop.get("user-info").status_code == 200               # app passwords stay
        with world.db.write() as conn:
            conn.execute(text("UPDATE users SET status = 'banned' WHERE id = :u"), {"u": world.alice.id})
        assert laptop.get("user-info").status_code == 401
        for client in (phone, laptop, web):
            client.close()


def test_app_passwords_are_random_and_stored_hashed(world):
    access = AppAccess(world.db, accounts(world.db))
    made = {access.create_password(world.alice, f"device {n}") for n in range(5)}
    assert len(made) == 5 and all(len(p) == 23 and p.count("-") == 3 for p in made)
    with world.db.read() as conn:
        stored = " ".join(str(v) for row in conn.execute(text("SELECT * FROM app_passwords")) for v in row)
    assert not any(p in stored for p in made | {world.app_password})


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record) + " " + repr(record.__dict__))


def test_no_secret_in_logs_or_urls(settings, world):
    capture = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    quiet = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error")]  # they do not propagate
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(uvicorn.Config(app_for(settings, world.db), host="127.0.0.1", port=port,
                                           log_level="debug", access_log=True))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for logger in quiet:
        logger.addHandler(capture)
    try:
        while not server.started:
            time.sleep(0.02)
        reader = GReader(f"http://127.0.0.1:{port}")
        reader.login("alice", world.app_password)
        t = reader.token()
        reader.ids(xt="user/-/state/com.google/read")
        reader.post("edit-tag", {"i": str(world.loose[0]), "a": "user/-/state/com.google/read", "T": t})
        contents = reader.post("stream/items/contents", {"i": str(world.loose[0])}).json()
        reader.login("alice", "wrong password here")
        reader.http.get("/reader/api/0/user-info", headers={"Authorization": "GoogleLogin auth=bad-token"})
        key = fever_key("alice", world.app_password)
        reader.http.post("/fever/?api&items", data={"api_key": key})
        reader.close()
    finally:
        server.should_exit = True
        thread.join(10)
        for logger in [root] + quiet:
            logger.removeHandler(capture)
        root.setLevel(old_level)
    logged = "\n".join(capture.lines)
    assert "GET /reader/api/0/stream/items/ids" in logged          # the access log was on
    for secret in (reader.auth, t, world.app_password, key, PASSWORD, "wrong password here"):
        assert secret not in logged
    assert reader.auth not in str(contents)                        # nor in any URL we hand out
