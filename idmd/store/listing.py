"""Runs a history listing with the access path that suits its filter.

A broad search ("zip" in 100,000 URLs) is fastest walking the order's index and
testing each row; a narrow one is fastest fetching its few matches through the
trigram index and sorting them. A bounded probe of the trigram index tells
which case this is, so both stay fast (tests/bench/test_store_bench.py).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from idmd.store.query import Filter, Order, count_sql, order_index, page_sql

# Below this many candidate rows, fetching them all and sorting beats walking
# an index in order; above, a walk finds a page of matches within few rows.
# Tests lower it to drive both paths with small data.
DENSE = 4000
# A text search counts its matches up to here and then stops: counting every
# one of 100,000 matches would cost more than the page itself.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page:
    rows: list[Any]  # up to limit + 1 rows of SELECT_JOB
    total: int  # matching rows, ignoring the cursor
    capped: bool  # total stopped at COUNT_CAP: there are more


def list_page(
    conn: sqlite3.Connection, f: Filter, order: Order, after: tuple[Any, str] | None, limit: int
) -> Page:
    text = bool(f.long_terms or f.short_terms)
    if f.long_terms:
        matches = _text_matches(conn, f)
        if matches <= min(DENSE, COUNT_CAP) or not f.ascii:
            # Few matches: the trigram index drives; statuses and short terms filter.
            exact = _count(conn, f, fts=True) if f.statuses or f.short_terms else matches
            rows = _page(conn, f, order, after, limit, fts=True, index=None)
            return Page(rows, exact, capped=False)
        total = (
            _count(conn, f, fts=False, cap=COUNT_CAP) if f.statuses or f.short_terms else matches
        )
    elif text:
        total = _count(conn, f, fts=False, cap=COUNT_CAP)
    else:
        total = _count(conn, f, fts=False)

    index: str | None = order_index(order, single_status=len(f.statuses) == 1)
    if len(f.statuses) > 1:
        with_status = _count(conn, Filter(f.statuses, (), ()), fts=False) if text else total
        if with_status <= DENSE:
            index = None  # few jobs have these statuses: the status index drives
    rows = _page(conn, f, order, after, limit, fts=False, index=index)
    return Page(rows, min(total, COUNT_CAP) if text else total, capped=text and total > COUNT_CAP)


def _text_matches(conn: sqlite3.Connection, f: Filter) -> int:
    """How many jobs the trigram index finds for the long terms, counting up to
    COUNT_CAP + 1 only, except for non-ASCII terms: those always use the index's
    full answer, since SQLite's LIKE folds only ASCII case (the index all of Unicode).
    """
    matching = "SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH ?"
    if not f.ascii:
        return int(conn.execute(f"SELECT count(*) FROM ({matching})", (f.match,)).fetchone()[0])
    sql = f"SELECT count(*) FROM ({matching} LIMIT ?)"
    return int(conn.execute(sql, (f.match, COUNT_CAP + 1)).fetchone()[0])


def _count(conn: sqlite3.Connection, f: Filter, *, fts: bool, cap: int | None = None) -> int:
    sql, params = count_sql(f, fts=fts, cap=cap)
    return int(conn.execute(sql, params).fetchone()[0])


def _page(
    conn: sqlite3.Connection,
    f: Filter,
    order: Order,
    after: tuple[Any, str] | None,
    limit: int,
    *,
    fts: bool,
    index: str | None,
) -> list[Any]:
    sql, params = page_sql(f, order, after, limit, fts=fts, index=index)
    return conn.execute(sql, params).fetchall()
