"""Saved searches: a reader saves a search (words and filters) and follows it; its new
matches -- articles collected since the reader last opened it -- show in "My news" and in
the personal feed, and the account page lists them.

"New" is by article id (ids only grow as articles are collected): saving a search counts
what matches now as seen, opening it from "My news" moves the mark to its newest match.
Finding new matches is one bounded search (``storage/searching.py``: the newest 1,000
matches at most) per followed search, above the mark.
"""

from __future__ import annotations

from ..errors import NotFound
from ..storage import saved_searches as store
from ..storage import searching
from ..storage.db import Database
from . import CommunityError
from .accounts import User

MAX_SEARCHES = 50
MAX_QUERY = 300


class SavedSearches:
    def __init__(self, db: Database):
        self.db = db

    def save(self, user: User, query: str, category: str | None = None, language: str | None = None,
             outlet: int | None = None, name: str | None = None) -> dict:
        """Save (and follow) a search; saving the same search again returns it."""
        query = " ".join((query or "").split())
        if not query:
            raise CommunityError("there is no search to save: search for some words first")
        if len(query) > MAX_QUERY:
            raise CommunityError(f"the search is longer than {MAX_QUERY} characters")
        category, language = (category or None), (language or None)
        found = store.find(self.db, user.id, query, category, language, outlet)
        if found is not None:
            store.update(self.db, user.id, found["id"], following=True)
            return dict(found, following=True)
        if store.count(self.db, user.id) >= MAX_SEARCHES:
            raise CommunityError(f"you have {MAX_SEARCHES} saved searches: delete some first")
        newest = self._search(query, category, language, outlet, limit=1).top or 0
        label = " ".join((name or "").split())[:120] or query[:120]
        return store.add(self.db, user.id, label, query, category, language, outlet, newest)

    def _search(self, query, category, language, outlet, limit: int = 5, after: int = 0):
        return searching.search(self.db, query, sort="date", category=category, language=language,
                                outlet=outlet, limit=limit, after=after)

    def _mine(self, user: User, search_id: int) -> dict:
        found = store.get(self.db, user.id, search_id)
        if found is None:
            raise NotFound(f"no saved search {search_id} of yours")
        return found

    def searches(self, user: User) -> list[dict]:
        return store.of_user(self.db, user.id)

    def follow(self, user: User, search_id: int, following: bool) -> None:
        self._mine(user, search_id)
        store.update(self.db, user.id, search_id, following=following)

    def delete(self, user: User, search_id: int) -> None:
        if not store.delete(self.db, user.id, search_id):
            raise NotFound(f"no saved search {search_id} of yours")

    def open(self, user: User, search_id: int) -> dict:
        """The search, its new matches now counted as seen."""
        search = self._mine(user, search_id)
        newest = self._search(search["query"], search["category"], search["language"],
                              search["outlet"], limit=1).top
        if newest:
            store.update(self.db, user.id, search_id, seen_id=newest)
        return search

    def with_news(self, user: User, per_search: int = 5) -> list[dict]:
        """Followed searches, each with its new matches (newest first, at most
        ``per_search``) and how many there are (``more``: at least that many)."""
        out = []
        for search in store.of_user(self.db, user.id):
            if not search["following"]:
                continue
            found = self._search(search["query"], search["category"], search["language"],
                                 search["outlet"], limit=per_search, after=search["seen_id"])
            out.append(dict(search, new_count=found.matches, more=not found.complete,
                            new_articles=[{k: r[k] for k in ("id", "title", "url", "when", "summary",
                                                             "outlet")} for r in found.results]))
        out.sort(key=lambda s: (s["new_count"] == 0, s["id"]))
        return out

    def feed_items(self, user: User, per_search: int = 10) -> list[dict]:
        """New matches of followed searches, as personal-feed items."""
        return [dict(a, search=s["name"]) for s in self.with_news(user, per_search)
                for a in s["new_articles"]]
