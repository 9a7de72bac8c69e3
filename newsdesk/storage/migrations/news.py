"""The news schema, step by step: sources and articles, full-text search, stories, AI
results and the indexes added as pages and the stories stage grew."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run


def m001_core(conn: Connection, dialect: str) -> None:
    """Sources, articles, tombstones and the fetch log."""
    run(conn, dialect, """
CREATE TABLE sources (
    id {pk},
    url TEXT NOT NULL UNIQUE,
    kind VARCHAR(16) NOT NULL DEFAULT 'feed',
    site_url TEXT,
    title TEXT,
    category TEXT,
    language VARCHAR(16),
    outlet_label TEXT,
    attribution TEXT,
    poll_interval INTEGER,
    enabled {bool} NOT NULL DEFAULT {true},
    full_text {bool} NOT NULL DEFAULT {true},
    etag TEXT,
    last_modified TEXT,
    next_check_at {ts},
    last_checked_at {ts},
    last_success_at {ts},
    error_count INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until {ts},
    created_at {ts}
);
CREATE INDEX sources_due ON sources (enabled, next_check_at);
CREATE TABLE articles (
    id {pk},
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    entry_hash VARCHAR(64) NOT NULL,
    guid TEXT,
    url TEXT,
    canonical_url TEXT,
    title TEXT NOT NULL,
    summary TEXT,
    text TEXT NOT NULL,
    html TEXT,
    authors TEXT,
    categories TEXT,
    published_at {ts},
    updated_at {ts},
    fetched_at {ts} NOT NULL,
    language VARCHAR(16),
    lead_image TEXT,
    extraction VARCHAR(16) NOT NULL,
    extraction_note TEXT,
    word_count INTEGER NOT NULL DEFAULT 0,
    content_hash VARCHAR(64),
    UNIQUE (source_id, entry_hash)
);
CREATE INDEX articles_published ON articles (published_at);
CREATE INDEX articles_source_published ON articles (source_id, published_at);
CREATE INDEX articles_canonical_url ON articles (canonical_url);
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE TABLE tombstones (
    source_id INTEGER NOT NULL,
    entry_hash VARCHAR(64) NOT NULL,
    canonical_url TEXT,
    deleted_at {ts} NOT NULL,
    PRIMARY KEY (source_id, entry_hash)
);
CREATE TABLE fetch_log (
    id {pk},
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    started_at {ts} NOT NULL,
    duration_ms INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL,
    http_status INTEGER,
    new_articles INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX fetch_log_source ON fetch_log (source_id, started_at)
""")


def m002_search(conn: Connection, dialect: str) -> None:
    """Full-text search over titles and text."""
    if dialect == "sqlite":
        run(conn, dialect, """
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text, content='articles', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text)
    VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END
""")
    else:
        run(conn, dialect, """
ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(text, '')), 'B')
) STORED;
CREATE INDEX articles_search ON articles USING GIN (search_vector)
""")


def m003_stories(conn: Connection, dialect: str) -> None:
    """Stories, near-duplicates (republications), hashtags, related articles, and the
    saved state of the online clusterer and the duplicate index."""
    run(conn, dialect, """
CREATE TABLE stories (
    id {pk},
    title TEXT NOT NULL,
    lead_article_id INTEGER,
    first_seen {ts},
    last_seen {ts},
    article_count INTEGER NOT NULL DEFAULT 0,
    outlet_count INTEGER NOT NULL DEFAULT 0,
    state {blob},
    updated_at {ts}
);
CREATE INDEX stories_last_seen ON stories (last_seen);
CREATE TABLE article_story (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    similarity REAL
);
CREATE INDEX article_story_story ON article_story (story_id);
CREATE TABLE duplicates (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    canonical_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    overlap REAL NOT NULL,
    kind VARCHAR(16) NOT NULL
);
CREATE INDEX duplicates_canonical ON duplicates (canonical_id);
CREATE TABLE signatures (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    minhash {blob} NOT NULL
);
CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    slug VARCHAR(120) NOT NULL,
    display VARCHAR(120) NOT NULL,
    score REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, slug)
);
CREATE INDEX article_tags_slug ON article_tags (slug);
CREATE TABLE story_tags (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    slug VARCHAR(120) NOT NULL,
    display VARCHAR(120) NOT NULL,
    score REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (story_id, slug)
);
CREATE INDEX story_tags_slug ON story_tags (slug);
CREATE TABLE related (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    related_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    score REAL NOT NULL DEFAULT 0,
    reason TEXT NOT NULL,
    PRIMARY KEY (article_id, related_id)
);
CREATE TABLE provenance (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    kind VARCHAR(16) NOT NULL,
    origin_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    overlap REAL
);
CREATE TABLE kv (
    key VARCHAR(200) PRIMARY KEY,
    value {blob},
    updated_at {ts}
)
""")


def m004_ai(conn: Connection, dialect: str) -> None:
    """Cached AI results, keyed by a hash of (feature, parameters, coverage, provider)."""
    run(conn, dialect, """
CREATE TABLE ai_results (
    key VARCHAR(64) PRIMARY KEY,
    feature VARCHAR(32) NOT NULL,
    subject VARCHAR(64) NOT NULL,
    result TEXT NOT NULL,
    created_at {ts} NOT NULL
);
CREATE INDEX ai_results_subject ON ai_results (subject, feature)
""")


def m006_front_page_index(conn: Connection, dialect: str) -> None:
    """The front page orders by publication time, falling back to fetch time."""
    run(conn, dialect, """
CREATE INDEX articles_published_fetched ON articles (published_at, fetched_at);
CREATE INDEX stories_lead ON stories (lead_article_id)
""")


def m007_search_keys(conn: Connection, dialect: str) -> None:
    """Search looks up a thousand candidate articles by id for their date, outlet and
    language. On SQLite those columns sit after the text and HTML in the row, so reading
    them walks the row's overflow pages; this index holds them beside the id. (PostgreSQL
    keeps long text out of line, so its rows are small already.)"""
    if dialect == "sqlite":
        run(conn, dialect, """
CREATE INDEX articles_search_keys ON articles (id, source_id, language, published_at, fetched_at)
""")


def m008_stories_at_scale(conn: Connection, dialect: str) -> None:
    """What keeps the stories stage's cost per article flat as the archive grows:

    * ``story_tags (slug, story_id)``: the thread lookup reads the newest stories of each
      tag straight from the index (it replaces the slug-only index it covers);
    * ``story_outlets``: the outlets of each story, so adding an article updates the outlet
      count in one insert instead of recounting the story (a flood of copies was quadratic);
    * ``stories_active``: the stories whose clusterer state is saved in ``stories.state``
      (only changed stories are written per batch, not the whole window's state);
    * on PostgreSQL ``article_story (story_id, article_id)``, so "newest members of a story"
      is an index walk (SQLite's story index already ends with the rowid, the article id).
    """
    run(conn, dialect, """
CREATE INDEX story_tags_slug_story ON story_tags (slug, story_id);
DROP INDEX story_tags_slug;
CREATE TABLE story_outlets (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL,
    PRIMARY KEY (story_id, source_id)
);
INSERT INTO story_outlets (story_id, source_id)
    SELECT DISTINCT s.story_id, a.source_id FROM article_story s JOIN articles a ON a.id = s.article_id;
CREATE INDEX stories_active ON stories (id) WHERE state IS NOT NULL
""")
    if dialect == "postgresql":
        run(conn, dialect, """
CREATE INDEX article_story_story_article ON article_story (story_id, article_id);
DROP INDEX article_story_story
""")
