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
    allow_private_networks: bool = _opt(False, "Allow fetching loopback/private/link-local "
                                        "addresses (SSRF guard off). The demo and tests turn it on.")
    allowed_networks: str = _opt("", "Comma-separated IPs or CIDR networks allowed although "
                                 "private, e.g. 127.0.0.0/8 for a feed server on this machine.")
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
    # stories
    dedup_threshold: float = _opt(0.8, "Share of the shorter text's shingles found in an earlier "
                                  "text above which it is the same article republished.",
                                  minimum=0.01)
    embeddings: str = _opt("auto", "Story clustering also compares MiniLM embeddings of headline "
                           "and lede: auto when the model package is installed (the "
                           "README's commands install it), off never.",
                           choices=("auto", "off"))
    # AI
    ai_provider: str = _opt("offline", "offline, or openai for an OpenAI-compatible endpoint.",
                            choices=("offline", "openai"))
    llm_base_url: str = _opt("", "Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1")
    llm_model: str = _opt("", "Model name sent to the endpoint.")
    llm_api_key: str = _opt("", "API key for the endpoint.", secret=True)
    ai_min_outlets: int = _opt(2, "Outlets a story needs before it gets a summary and a "
                               "coverage comparison.", minimum=1)
    llm_timeout: float = _opt(30.0, "Seconds to wait for the endpoint.", minimum=0.1)
    # web
    host: str = _opt("127.0.0.1", "Address the web server listens on.")
    port: int = _opt(8000, "Port the web server listens on.", minimum=0)
    web_workers: int = _opt(1, "Web server processes (uvicorn workers); the CPU count serves "
                            "the most readers on one machine.", minimum=1)
    page_cache_seconds: float = _opt(30.0, "Seconds a page rendered for anonymous readers is "
                                     "served from memory (0: off). On SQLite any write to the "
                                     "database ends it at once.", minimum=0)
    page_cache_mb: int = _opt(64, "Memory for that page cache, per web process.", minimum=1)
    secret_key: str = _opt("", "Key that signs session cookies; generated into data_dir if empty.",
                           secret=True)
    admin_password: str = _opt("", "Password of the built-in admin login (empty: admin disabled "
                               "until set).", secret=True)
    # readers and comments
    smtp_host: str = _opt("", "SMTP server for password-reset mail (empty: links are shown "
                          "to the operator instead).")
    smtp_port: int = _opt(25, "SMTP port.", minimum=1)
    smtp_from: str = _opt("newsdesk@localhost", "Sender address of mail.")
    premoderate_new_accounts: bool = _opt(False, "Hold comments of new accounts for moderation.")
    comment_edit_window: int = _opt(900, "Seconds during which a comment can be edited.", minimum=0)
    banned_words: str = _opt("", "Comma-separated words that send a comment to moderation.")
    spam_threshold: float = _opt(3.0, "Spam score from which a comment waits for a moderator.",
                                 minimum=0.0)
    log_level: str = _opt("INFO", "Logging level.", choices=("DEBUG", "INFO", "WARNING", "ERROR"))

    def __post_init__(self) -> None:
        for network in self.allowed_network_list:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ConfigError(f"setting allowed_networks: {network!r} is not an IP "
                                  "address or network") from None

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
        return [part.strip() for part in self.allowed_networks.split(",") if part.strip()]

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
