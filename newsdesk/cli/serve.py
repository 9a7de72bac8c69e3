"""``newsdesk serve``: run the website with uvicorn on settings.host:settings.port.

One process by default. With ``web_workers`` above 1, uvicorn's supervisor starts that
many processes sharing the listening socket; each builds its own app from the same
settings and opens the database without migrating it (this process already did). SQLite
in WAL mode lets them all read at once; writes are serialised by SQLite's own lock.

The settings, secrets included, reach the workers inside the worker's start-up arguments
(pickled through the pipe that ``multiprocessing``'s spawn uses), never through the
environment: a process's environment is readable in /proc by the same user, inherited by
every child, and often logged by crash reporters.
"""

from __future__ import annotations

import dataclasses
import gc

import uvicorn

from .. import metrics
from ..settings import Settings
from ..storage.db import Database

def serve(settings: Settings, db: Database, *, access_log: bool | None = None) -> None:
    """Serve until interrupted. Access logs follow ``log_level`` (on at DEBUG) unless
    ``access_log`` says otherwise; X-Forwarded-* are believed from ``trusted_proxies`` only
    (by the app, see ``web/app.py``)."""

    metrics.configure(settings.data_dir)  # before the workers start: they share its folder
    options = dict(
        host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
        access_log=settings.log_level == "DEBUG" if access_log is None else access_log,
        proxy_headers=False, server_header=False,  # the app reads trusted_proxies itself
        timeout_keep_alive=10, limit_concurrency=1000, h11_max_incomplete_event_size=32 * 1024)
    if settings.web_workers > 1:
        from uvicorn.supervisors import Multiprocess
        config = WorkerConfig("newsdesk.cli.serve:worker_app", factory=True,
                               workers=settings.web_workers, **options)
        config.newsdesk_settings = dataclasses.asdict(settings)
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    from ..web import create_app
    app = create_app(settings, db)
    _settle_heap()
    uvicorn.Server(uvicorn.Config(app, **options)).run()


_WORKER_SETTINGS: dict | None = None


class WorkerConfig(uvicorn.Config):
    """uvicorn's configuration, carrying newsdesk's settings to each worker: the object is
    pickled into the worker through the spawn pipe, and ``load`` (run in the worker, before
    the app factory) hands the settings over."""

    newsdesk_settings: dict | None = None

    def load(self) -> None:
        global _WORKER_SETTINGS
        _WORKER_SETTINGS = self.newsdesk_settings
        super().load()


def worker_app():
    """The app of one worker process (uvicorn calls this factory in each)."""
    from ..web import create_app
    if _WORKER_SETTINGS is None:
        raise RuntimeError("worker_app runs only in a worker started by serve()")
    settings = Settings(**_WORKER_SETTINGS)
    app = create_app(settings, Database.open(settings, migrate=False))
    _settle_heap()
    return app


def _settle_heap() -> None:
    """Move everything alive after start-up (modules, templates, the app) out of the garbage
    collector's sight: a page allocates many short-lived objects, and each full collection
    would otherwise walk the whole start-up heap again, a pause every request behind it feels."""
    gc.collect()
    gc.freeze()
