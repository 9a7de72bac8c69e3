"""``newsdesk serve``: run the website with uvicorn on settings.host:settings.port."""

from __future__ import annotations

from ..settings import Settings
from ..storage.db import Database


def serve(settings: Settings, db: Database, *, access_log: bool | None = None) -> None:
    """Serve until interrupted. Access logs follow ``log_level`` (on at DEBUG) unless
    ``access_log`` says otherwise; ``proxy_headers`` trusts X-Forwarded-* from loopback
    only, so a reverse proxy on the same machine can mark requests as https."""
    import uvicorn

    from ..web import create_app

    app = create_app(settings, db)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level=settings.log_level.lower(),
        access_log=settings.log_level == "DEBUG" if access_log is None else access_log,
        proxy_headers=True, forwarded_allow_ips="127.0.0.1", server_header=False,
        timeout_keep_alive=10, limit_concurrency=1000, h11_max_incomplete_event_size=32 * 1024)
    uvicorn.Server(config).run()
