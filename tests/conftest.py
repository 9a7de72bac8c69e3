"""Shared fixtures.

``db`` is a real database: a fresh SQLite file, and, when ``NEWSDESK_TEST_POSTGRES_URL``
is set (CI sets it to the machine's server), the same test again on a fresh PostgreSQL
schema. Without that variable the PostgreSQL variants skip, saying why.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as settings_profiles

from newsdesk.settings import Settings
from newsdesk.storage.db import Database

SHARED = Path(__file__).resolve().parents[2] / "shared"

# Property-based fuzzing (tests/test_fuzz.py): "ci" keeps the whole run to well under a
# minute on a loaded 2-core machine; HYPOTHESIS_PROFILE=long digs deeper by hand.
settings_profiles.register_profile("ci", max_examples=200, deadline=None, database=None,
                                   print_blob=True,
                                   suppress_health_check=[HealthCheck.too_slow,
                                                          HealthCheck.data_too_large])
settings_profiles.register_profile("long", parent=settings_profiles.get_profile("ci"),
                                   max_examples=5_000)
settings_profiles.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
PG_URL = os.environ.get("NEWSDESK_TEST_POSTGRES_URL", "")


def pg_schema_url(base: str, schema: str) -> str:
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base[len("postgresql://"):]
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings for tests: the SSRF guard stays on, with loopback allowed explicitly (so a
    feed pointing at 10.0.0.1 is still refused before any connection). Loopback servers
    take a free port per test, so this allows the network; the hostile suite allows only
    its servers' exact origins (``allowed_origins``), as an operator would."""
    return Settings(data_dir=str(tmp_path), allowed_networks="127.0.0.0/8,::1",
                    fetch_timeout=3.0, fetch_deadline=6.0, fetch_workers=4,
                    extract_processes=0)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'newsdesk.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL variant: set NEWSDESK_TEST_POSTGRES_URL "
                    "(e.g. postgresql://postgres@127.0.0.1:5432/test) to run it")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = Database.from_url(PG_URL, migrate=False)
    from sqlalchemy import text
    with admin.write() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield pg_schema_url(PG_URL, schema)
    finally:
        with admin.write() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.close()


@pytest.fixture
def db(db_url):
    database = Database.from_url(db_url)
    yield database
    database.close()


@pytest.fixture
def pipeline_settings(settings, db_url) -> Settings:
    return settings.with_(database_url=db_url)
