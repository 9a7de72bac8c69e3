"""APIs for mobile and desktop feed readers: the Google Reader API (as FreshRSS and
Miniflux answer it: Reeder, NetNewsWire, FeedMe, Read You, Fluent Reader...) and the older
Fever API.

    greader_auth.py     ClientLogin, tokens, T, user-info; parameters and errors
    greader_streams.py  item ids, contents, stream contents, unread counts
    greader_edit.py     edit-tag, mark-all-as-read, subscriptions, labels
    items.py            item id forms, stream ids, item objects and their HTML
    fever.py            the Fever API

``install(app)`` mounts them: the Google Reader paths at the root (``/accounts/...``,
``/reader/api/0/...``) and under FreshRSS's ``/api/greader.php`` prefix, Fever at
``/fever/`` and ``/api/fever.php``. Accounts, app passwords and tokens are
``community/apps.py``; the queries are ``storage/appauth.py``, ``storage/streams.py`` and
``storage/itemstate.py``.
"""

from __future__ import annotations

from fastapi import FastAPI

from . import fever, greader_auth, greader_edit, greader_streams
from .greader_auth import APIError, api_error

GREADER_PREFIXES = ("", "/api/greader.php")


def install(app: FastAPI) -> None:
    for prefix in GREADER_PREFIXES:
        for module in (greader_auth, greader_streams, greader_edit):
            app.include_router(module.router, prefix=prefix)
    app.include_router(fever.router)
    app.add_exception_handler(APIError, api_error)
