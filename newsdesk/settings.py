"""The one settings object.

Every option is declared once in ``OPTIONS`` (name, default, type, secret flag, help).
Values come from, lowest priority first: the defaults, a TOML config file
(``NEWSDESK_CONFIG`` or ``--config``), environment variables ``NEWSDESK_<NAME>`` (secrets
may also be read from a file named by ``NEWSDESK_<NAME>_FILE``), then explicit overrides
(CLI flags). ``Settings.load()`` validates everything and is the only place that reads
``os.environ``; the rest of the code receives the object.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from .errors import ConfigError


def _opt(default: Any, help: str, *, secret: bool = False, choices: tuple | None = None,
         minimum: float | None = None) -> Any:
    return field(default=default, metadata={"help": help, "secret": secret,
                                            "choices": choices, "minimum": minimum})


@dataclass(frozen=True)
class Settings:
    # storage
    database_url: str = _opt("", "SQLAlchemy URL; empty means sqlite:///<data_dir>/newsdesk.db. "
                             "Use postgresql+psycopg://... for PostgreSQL.", secret=True)
    data_dir: str = _opt("newsdesk-data", "Folder for the SQLite database and caches.")
    # fetching
    user_agent: str = _opt("newsdesk/0.1 (+https://github.com/newsdesk/newsdesk; self-hosted news reader)",
                           "User-Agent sent with every request.")
    fetch_timeout: float = _opt(20.0, "Seconds for connect/read of one request.", minimum=0.1)
    fetch_deadline: float = _opt(60.0, "Seconds a whole fetch (all reads) may take.", minimum=0.1)
    max_response_bytes: int = _opt(10_000_000, "Largest body read, after decompression.", minimum=1024)
    max_redirects: int = _opt(5, "Redirects followed before giving up.", minimum=0)
    per_host_concurrency: int = _opt(2, "Requests in flight to one host at once.", minimum=1)
    fetch_workers: int = _opt(8, "Threads fetching sources and pages at once.", minimum=1)
    extract_processes: int = _opt(-1, "Processes extracting article text (CPU-bound): -1 one per "
                                  "CPU, 0 extract in the fetching threads.", minimum=-1)
    ingest_nice: int = _opt(10, "Niceness added to newsdesk run and fetch (and their extraction "
                            "processes), so pages are served first on a shared machine; 0 "
                            "keeps the normal priority.", minimum=0)
    allow_private_networks: bool = _opt(False, "Allow fetching loopback/private/link-local "
                                        "addresses (SSRF guard off). The demo and tests turn it on.")
    allowed_networks: str = _opt("", "Comma-separated IPs or CIDR networks allowed although "
                                 "private, e.g. 10.1.2.0/24: every port and every host name "
                                 "that resolves there. Prefer allowed_origins for one service.")
    allowed_origins: str = _opt("", "Comma-separated origins (scheme://host:port) that may be "
                                "fetched although their address is private, e.g. "
                                "http://127.0.0.1:8170 for a feed server on this machine. "
                                "Exact: another port, scheme or spelling of the host "
                                "(localhost, 127.1, 2130706433) stays refused.")
    respect_robots: bool = _opt(True, "Obey robots.txt for article pages.")
    # scheduling
    poll_interval: int = _opt(1800, "Default seconds between checks of a source.", minimum=30)
    min_poll_interval: int = _opt(300, "Never poll a source more often than this.", minimum=1)
    max_backoff: int = _opt(86400, "Longest wait after repeated errors, in seconds.", minimum=60)
    batch_size: int = _opt(20, "Due sources claimed per scheduler round.", minimum=1)
    claim_ttl: int = _opt(900, "Seconds after which a worker's claim on a source expires.", minimum=10)
    max_entries_per_fetch: int = _opt(200, "Newest entries taken from one feed fetch.", minimum=1)
    filter_regex_timeout: float = _opt(0.05, "Seconds one source filter's regular expression may "
                                       "run on one item; past it the rule does not match.",
                                       minimum=0.001)
    # revisions (articles change after publication)
    revision_window: int = _opt(172800, "Seconds after publication during which an article's "
                                "page is re-checked for revisions (0: never on a schedule; a "
                                "changed feed item is re-checked at any age).", minimum=0)
    revision_first_check: int = _opt(3600, "Seconds before an article's first re-check; each "
                                     "next one waits twice as long.", minimum=60)
    revision_checks_per_round: int = _opt(100, "Article pages re-checked per scheduler round "
                                          "(and per feed fetch for changed items).", minimum=1)
    # WebSub (push instead of polling, for feeds that declare a hub; needs public_url)
    websub_lease: int = _opt(864000, "Lease asked of WebSub hubs, in seconds.", minimum=3600)
    websub_poll_interval: int = _opt(21600, "Seconds between safety-net polls of a source "
                                     "whose hub pushes to us.", minimum=60)
    # stories
    dedup_threshold: float = _opt(0.8, "Share of the shorter text's shingles found in an earlier "
                                  "text above which it is the same article republished.",
                                  minimum=0.01)
    embeddings: str = _opt("auto", "Story clustering also compares MiniLM embeddings of headline "
                           "and lede: auto when the model package is installed (the "
                           "README's commands install it), off never.",
                           choices=("auto", "off"))
    worker_features: bool = _opt(True, "Each worker computes the stories features of the articles "
                                 "it stores (signature, terms, embedding) and stores them with "
                                 "them; off leaves it all to the one stories process.")
    # AI
    ai_provider: str = _opt("offline", "offline, or openai for an OpenAI-compatible endpoint.",
                            choices=("offline", "openai"))
    llm_base_url: str = _opt("", "Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1")
    llm_model: str = _opt("", "Model name sent to the endpoint.")
    llm_api_key: str = _opt("", "API key for the endpoint.", secret=True)
    ai_min_outlets: int = _opt(2, "Outlets a story needs before it gets a summary and a "
                               "coverage comparison.", minimum=1)
    llm_timeout: float = _opt(30.0, "Seconds one call to the endpoint may take in all (connect, "
                              "wait and read); past it the offline result is shown with a note.",
                              minimum=0.1)
    llm_retry_after: float = _opt(300.0, "Seconds before a result that fell back to the offline "
                                  "method (endpoint down or too slow) is asked of the endpoint again.",
                                  minimum=1)
    ai_page_wait: float = _opt(1.0, "Seconds a page waits for AI results computed on request; "
                               "what takes longer is shown as in progress and fills itself in.",
                               minimum=0)
    # web
    host: str = _opt("127.0.0.1", "Address the web server listens on.")
    port: int = _opt(8000, "Port the web server listens on.", minimum=0)
    web_workers: int = _opt(1, "Web server processes (uvicorn workers); the CPU count serves "
                            "the most readers on one machine.", minimum=1)
    request_body_timeout: float = _opt(30.0, "Seconds a client may take to send a request body "
                                       "(a form, an app's API call, a WebSub push); a slower "
                                       "or stalled one is answered 408.", minimum=0.1)
    page_cache_seconds: float = _opt(30.0, "Seconds a page rendered for anonymous readers is "
                                     "served from memory (0: off). On SQLite any write to the "
                                     "database ends it at once.", minimum=0)
    page_cache_mb: int = _opt(64, "Memory for that page cache, per web process.", minimum=1)
    page_cache_wait: float = _opt(10.0, "Seconds a reader waits for another reader's render of "
                                  "the same page before rendering it itself.", minimum=0)
    metrics_token: str = _opt("", "Bearer token that opens /metrics from any address "
                              "(empty: only metrics_networks).", secret=True)
    metrics_networks: str = _opt("127.0.0.0/8,::1", "Comma-separated IPs or CIDR networks "
                                 "allowed to read /metrics without the token (empty: none).")
    public_url: str = _opt("", "The site's address as readers reach it, e.g. "
                           "https://news.example.org. Every absolute link in mail and feeds is "
                           "made from it, never from a request's Host header, and requests "
                           "naming another host are refused; WebSub hubs call it back. Empty: "
                           "http://host:port of this server, and no WebSub.")
    trusted_proxies: str = _opt("127.0.0.1", "Comma-separated IPs or networks of reverse proxies "
                                "whose X-Forwarded-For/-Proto are believed (the client address "
                                "of rate limits and logs). Others' forwarded headers are ignored.")
    ask_per_minute_ip: int = _opt(10, "Ask questions one address may ask per minute.", minimum=1)
    ask_per_minute_reader: int = _opt(20, "Ask questions one logged-in reader may ask per minute.",
                                      minimum=1)
    llm_asks_per_ip_day: int = _opt(20, "Ask answers from the LLM endpoint per day for an "
                                    "address that is not logged in; past it, answers are "
                                    "extractive (offline). Logged-in readers are not counted.",
                                    minimum=0)
    secret_key: str = _opt("", "Key that signs session cookies; generated into data_dir if empty.",
                           secret=True)
    admin_password: str = _opt("", "Password of the built-in admin login (empty: admin disabled "
                               "until set).", secret=True)
    # readers and comments
    smtp_host: str = _opt("", "SMTP server for password-reset mail (empty: links are shown "
                          "to the operator instead).")
    smtp_port: int = _opt(25, "SMTP port (587 with starttls, 465 with ssl).", minimum=1)
    smtp_security: str = _opt("none", "none, starttls (upgrade the connection) or ssl (TLS "
                              "from the start); certificates are verified.",
                              choices=("none", "starttls", "ssl"))
    smtp_username: str = _opt("", "SMTP login name (empty: no login).")
    smtp_password: str = _opt("", "SMTP login password.", secret=True)
    smtp_from: str = _opt("newsdesk@localhost", "Sender address of mail.")
    premoderate_new_accounts: bool = _opt(False, "Hold comments of new accounts for moderation.")
    comment_edit_window: int = _opt(900, "Seconds during which a comment can be edited.", minimum=0)
    banned_words: str = _opt("", "Comma-separated words that send a comment to moderation.")
    spam_threshold: float = _opt(3.0, "Spam score from which a comment waits for a moderator.",
                                 minimum=0.0)
    log_level: str = _opt("INFO", "Logging level.", choices=("DEBUG", "INFO", "WARNING", "ERROR"))

    def __post_init__(self) -> None:
        for origin in _split(self.allowed_origins):
            parse_origin(origin)  # raises ConfigError
        for name in ("allowed_networks", "metrics_networks", "trusted_proxies"):
            for network in _split(getattr(self, name)):
                try:
                    ipaddress.ip_network(network, strict=False)
                except ValueError:
                    raise ConfigError(f"setting {name}: {network!r} is not an IP "
                                      "address or network") from None
        if self.public_url:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
                    or parts.fragment:
                raise ConfigError(f"setting public_url: {self.public_url!r} is not an http(s) "
                                  "address like https://news.example.org")

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, config_file: str | Path | None = None, env: Mapping[str, str] | None = None,
             **overrides: Any) -> "Settings":
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        config_file = config_file or env.get("NEWSDESK_CONFIG")
        if config_file:
            path = Path(config_file)
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise ConfigError(f"config file not found: {path}") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
            data = data.get("newsdesk", data)
            for key, value in data.items():
                if key not in cls.names():
                    raise ConfigError(f"unknown setting {key!r} in {path}")
                values[key] = value
        for f in fields(cls):
            var = "NEWSDESK_" + f.name.upper()
            if f.metadata["secret"] and env.get(var + "_FILE"):
                try:
                    values[f.name] = Path(env[var + "_FILE"]).read_text(encoding="utf-8").strip()
                except OSError as exc:
                    raise ConfigError(f"{var}_FILE: cannot read {exc.filename}") from None
            if var in env:
                values[f.name] = env[var]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "Settings":
        kwargs = {}
        by_name = {f.name: f for f in fields(cls)}
        for name, raw in values.items():
            if name not in by_name:
                raise ConfigError(f"unknown setting {name!r}")
            kwargs[name] = _coerce(by_name[name], raw)
        return cls(**kwargs)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **{k: _coerce(_field(k), v) for k, v in changes.items()})

    # ----------------------------------------------------------------- derived
    @property
    def allowed_network_list(self) -> list[str]:
        return _split(self.allowed_networks)

    @property
    def metrics_network_list(self) -> list[str]:
        return _split(self.metrics_networks)

    @property
    def allowed_origin_list(self) -> list[tuple[str, str, int]]:
        """``allowed_origins`` as (scheme, host, port) triples, host lower-case."""
        return [parse_origin(o) for o in _split(self.allowed_origins)]

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _split(self.trusted_proxies)

    @property
    def site_url(self) -> str:
        """The base of every absolute link (no trailing slash): ``public_url``, else this
        server's own address. Never taken from a request."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).expanduser() / 'newsdesk.db'}"

    def describe(self) -> list[tuple[str, str, str]]:
        """(name, shown value, help) for each setting, secrets masked."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "database_url":
                value = _mask_url(self.effective_database_url)
            elif f.metadata["secret"] and value:
                value = "********"
            rows.append((f.name, str(value), f.metadata["help"]))
        return rows


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


_DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(text: str) -> tuple[str, str, int]:
    """``"http://127.0.0.1:8170"`` -> ``("http", "127.0.0.1", 8170)``: scheme, host
    (lower-case, IDNA, IPv6 without brackets) and port (the scheme's default when none is
    written). Anything more than an origin (a path, a query, a user name) is refused."""
    entry = text.strip()
    problem = f"setting allowed_origins: {entry!r} is not an origin like http://127.0.0.1:8170"
    try:
        parts = urlsplit(entry)
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise ConfigError(problem) from None
    if (parts.scheme not in _DEFAULT_PORTS or not host or parts.path not in ("", "/")
            or parts.query or parts.fragment or "@" in parts.netloc):
        raise ConfigError(problem)
    return parts.scheme, host, port if port is not None else _DEFAULT_PORTS[parts.scheme]


def _field(name: str):
    for f in fields(Settings):
        if f.name == name:
            return f
    raise ConfigError(f"unknown setting {name!r}")


def _coerce(f, raw: Any) -> Any:
    kind = type(f.default)
    try:
        if kind is bool and isinstance(raw, str):
            lowered = raw.strip().lower()
            if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(raw)
            value: Any = lowered in ("1", "true", "yes", "on")
        else:
            value = kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {f.name}: {raw!r} is not a valid {kind.__name__}") from None
    meta = f.metadata
    if meta["choices"] and value not in meta["choices"]:
        raise ConfigError(f"setting {f.name}: {value!r} is not one of {', '.join(meta['choices'])}")
    if meta["minimum"] is not None and value < meta["minimum"]:
        raise ConfigError(f"setting {f.name}: {value!r} is below the minimum {meta['minimum']}")
    return value


def _mask_url(url: str) -> str:
    """Hide the password in a database URL."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:********@{host}" if ":" in creds else url
