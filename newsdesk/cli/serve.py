"""``newsdesk serve``: run the website with uvicorn on settings.host:settings.port.

One process by default. With ``web_workers`` above 1, uvicorn's supervisor starts that
many processes sharing the listening socket; each builds its own app from the same
settings (handed over in an environment variable, since workers are fresh interpreters)
and opens the database without migrating it (this process already did). SQLite in WAL
mode lets them all read at once; writes are serialised by SQLite's own lock.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os

from .. import metrics
from ..settings import Settings
from ..storage.db import Database

SETTINGS_ENV = "NEWSDESK__WORKER_SETTINGS"


def serve(settings: Settings, db: Database, *, access_log: bool | None = None) -> None:
    """Serve until interrupted. Access logs follow ``log_level`` (on at DEBUG) unless
    ``access_log`` says otherwise; ``proxy_headers`` trusts X-Forwarded-* from loopback
    only, so a reverse proxy on the same machine can mark requests as https."""
    import uvicorn

    metrics.configure(settings.data_dir)  # before the workers start: they share its folder
    options = dict(
        host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
        access_log=settings.log_level == "DEBUG" if access_log is None else access_log,
        proxy_headers=True, forwarded_allow_ips="127.0.0.1", server_header=False,
        timeout_keep_alive=10, limit_concurrency=1000, h11_max_incomplete_event_size=32 * 1024)
    if settings.web_workers > 1:
        os.environ[SETTINGS_ENV] = json.dumps(dataclasses.asdict(settings))
        uvicorn.run("newsdesk.cli.serve:worker_app", factory=True, workers=settings.web_workers,
                    **options)
        return
    from ..web import create_app
    app = create_app(settings, db)
    _settle_heap()
    uvicorn.Server(uvicorn.Config(app, **options)).run()


def worker_app():
    """The app of one worker process (uvicorn calls this factory in each)."""
    from ..web import create_app
    settings = Settings(**json.loads(os.environ[SETTINGS_ENV]))
    app = create_app(settings, Database.open(settings, migrate=False))
    _settle_heap()
    return app


def _settle_heap() -> None:
    """Move everything alive after start-up (modules, templates, the app) out of the garbage
    collector's sight: a page allocates many short-lived objects, and each full collection
    would otherwise walk the whole start-up heap again, a pause every request behind it feels."""
    gc.collect()
    gc.freeze()
