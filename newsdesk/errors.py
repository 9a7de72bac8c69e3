"""The exception tree of newsdesk. Library code raises these; only the edges (CLI, web)
translate them into exit codes, messages and HTTP statuses.

    NewsdeskError
    ├── ConfigError            a setting is missing or invalid
    ├── NotFound               an id or name that does not exist
    ├── StorageError           the database refused (migration, constraint, connection)
    │   └── ConstraintError    a row broke a constraint (a unique key taken by another row)
    ├── FetchError             fetching a URL failed; the message is stored on the source
    │   ├── BlockedAddress     SSRF guard: private, loopback, link-local... not allowed
    │   ├── RobotsDisallowed   robots.txt forbids this URL for our User-Agent
    │   ├── FetchTimeout       connect/read timed out, or the whole fetch took too long
    │   ├── TooLarge           body over the size cap, or a decompression bomb
    │   ├── TooManyRedirects   redirect loop or chain over the limit
    │   └── HTTPStatusError    4xx/5xx; carries .status and .retry_after
    ├── FeedError              the bytes are not a feed we can read (malformed, empty)
    │   └── FeedLimitError     past a parser limit: nested too deeply, too large
    └── ExtractionError        no article text could be extracted from a page
"""

from __future__ import annotations

from datetime import datetime


class NewsdeskError(Exception):
    """Base of every error newsdesk raises on purpose."""


class ConfigError(NewsdeskError):
    pass


class NotFound(NewsdeskError):
    pass


class StorageError(NewsdeskError):
    pass


class ConstraintError(StorageError):
    """Raised by storage functions in place of the driver's IntegrityError, so callers
    above storage/ can tell "taken" from "down" without importing SQLAlchemy."""


class FetchError(NewsdeskError):
    pass


class BlockedAddress(FetchError):
    pass


class RobotsDisallowed(FetchError):
    pass


class FetchTimeout(FetchError):
    pass


class TooLarge(FetchError):
    pass


class TooManyRedirects(FetchError):
    pass


class HTTPStatusError(FetchError):
    def __init__(self, message: str, status: int, retry_after: datetime | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class FeedError(NewsdeskError):
    pass


class FeedLimitError(FeedError):
    pass


class ExtractionError(NewsdeskError):
    pass
