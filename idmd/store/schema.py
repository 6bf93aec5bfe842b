"""The history database's schema, as a list of forward migrations.

``PRAGMA user_version`` says how many steps a file has had; opening applies the
missing ones in one transaction. Never edit a released step: append a new one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class StoreError(Exception):
    """The history database cannot be used (corrupt, locked, too new, disk full)."""


# Step 1: jobs and their segments. The columns are the Job fields that are
# queried or sorted on; the rest of the Job travels as JSON. Sort keys are NOT
# NULL ('' for "not yet") so keyset paging compares plain values.
_V1 = """
CREATE TABLE jobs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'http',
    status TEXT NOT NULL,
    filename TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    path TEXT,
    size INTEGER,
    done INTEGER NOT NULL DEFAULT 0,
    connections INTEGER,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT NOT NULL DEFAULT '',
    options TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    media TEXT,
    extra TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE segments (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    done INTEGER NOT NULL,
    PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
CREATE INDEX jobs_status ON jobs (status);
"""

# Step 2: history queries at 100,000 jobs. An index per order, alone and
# within one status, with id as the tie-breaker that makes keyset paging
# exact; a covering index for counting text matches; and a trigram full-text
# index over the file name and URL for substring search.
_V2 = """
DROP INDEX jobs_status;
CREATE INDEX jobs_created ON jobs (created_at, id);
CREATE INDEX jobs_finished ON jobs (finished_at, id);
CREATE INDEX jobs_filename ON jobs (filename, id);
CREATE INDEX jobs_status_created ON jobs (status, created_at, id);
CREATE INDEX jobs_status_finished ON jobs (status, finished_at, id);
CREATE INDEX jobs_status_filename ON jobs (status, filename, id);
CREATE INDEX jobs_text ON jobs (status, filename, url);
CREATE VIRTUAL TABLE jobs_fts USING fts5(
    filename, url, content='jobs', content_rowid='rowid', tokenize='trigram'
);
CREATE TRIGGER jobs_fts_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO jobs_fts (rowid, filename, url) VALUES (new.rowid, new.filename, new.url);
END;
CREATE TRIGGER jobs_fts_delete AFTER DELETE ON jobs BEGIN
    INSERT INTO jobs_fts (jobs_fts, rowid, filename, url)
        VALUES ('delete', old.rowid, old.filename, old.url);
END;
CREATE TRIGGER jobs_fts_update AFTER UPDATE OF filename, url ON jobs
WHEN old.filename IS NOT new.filename OR old.url IS NOT new.url BEGIN
    INSERT INTO jobs_fts (jobs_fts, rowid, filename, url)
        VALUES ('delete', old.rowid, old.filename, old.url);
    INSERT INTO jobs_fts (rowid, filename, url) VALUES (new.rowid, new.filename, new.url);
END;
INSERT INTO jobs_fts (jobs_fts) VALUES ('rebuild');
"""

MIGRATIONS: list[str] = [_V1, _V2]
VERSION = len(MIGRATIONS)


def connect(path: Path, *, writer: bool, busy_timeout: float = 5.0) -> sqlite3.Connection:
    """A connection with idm's settings, the schema brought up to date by the writer.

    Raises StoreError with a message a user can act on.
    """
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=busy_timeout
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the history database {path}: {exc}") from exc
    try:
        # Another process holding the file (a second idmd, a backup tool) gets
        # this long before a write gives up with "locked".
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if writer:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"the history database {path} cannot use WAL mode ({mode})")
            # FULL: a commit that flush() reports is on disk, even after a power cut.
            conn.execute("PRAGMA synchronous = FULL")
            migrate(conn, path)
        else:
            conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(describe(exc, path)) from exc
    except StoreError:
        conn.close()
        raise
    return conn


def migrate(
    conn: sqlite3.Connection, path: Path | str = "the database", steps: list[str] | None = None
) -> int:
    """Apply the missing steps (all of ``steps``, MIGRATIONS by default); returns the version."""
    steps = MIGRATIONS if steps is None else steps
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > len(steps):
        raise StoreError(
            f"the history database {path} has schema version {current}, newer than this idmd "
            f"knows ({len(steps)}); upgrade idm or move the file aside"
        )
    for number in range(current + 1, len(steps) + 1):
        try:
            # One transaction per step: a failed step leaves the previous version intact.
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{steps[number - 1]}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return len(steps)


def describe(exc: sqlite3.Error, path: Path | str) -> str:
    """A user-facing sentence for an SQLite failure."""
    text = str(exc)
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return (
            f"the history database {path} is corrupt ({text}); "
            "move it aside and idmd starts a new, empty history"
        )
    if "locked" in lowered or "busy" in lowered:
        return f"the history database {path} is locked by another process ({text})"
    if "full" in lowered:
        return f"no space left for the history database {path} ({text})"
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return f"cannot write the history database {path} ({text})"
    return f"history database error in {path}: {text}"
