"""The website, its JSON API and feeds out. ``create_app(settings, db)`` builds it."""

from .app import create_app

__all__ = ["create_app"]
