"""The readers' side of the website: accounts, comments, moderation, follows and "My news".

The lead mounts it with ``install(app, settings, db)`` (which includes ``router``) and
puts ``comments_block(request, "article", id)`` into the article and story pages and
``comment_counts(db, story_ids)`` on the front page.
"""

from .base import comments_block, current_user
from .mount import install
from .routes import router
from ...community.comments import comment_counts

__all__ = ["router", "install", "comments_block", "comment_counts", "current_user"]
