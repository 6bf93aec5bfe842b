"""SQL for history listings: status filter, text search, order and keyset paging.

Pure (builds SQL and parameters); the store runs it. The parameters were
checked against idmd.protocol.params.LISTING first. The cursor is opaque to
clients: the sort value and id of the last row sent, so each page is an index
seek and no row is skipped or repeated while jobs are added.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from idmd.protocol.errors import InvalidParams
from idmd.store.rows import SELECT_JOB

# FTS5's trigram tokenizer indexes 3-character windows; shorter terms use LIKE.
_TRIGRAM = 3


@dataclass(frozen=True)
class Order:
    key: str
    descending: bool

    @property
    def text(self) -> str:
        return ("-" if self.descending else "") + self.key


def parse_order(order: str) -> Order:
    """The Order for one of ``idmd.protocol.params.ORDERS`` (checked by ``check_listing``)."""
    return Order(order.lstrip("-"), order.startswith("-"))


def encode_cursor(order: Order, value: Any, job_id: str) -> str:
    raw = json.dumps([order.text, value, job_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: Order) -> tuple[Any, str]:
    """(sort value, id) of the last row of the previous page."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        text, value, job_id = json.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidParams("cursor is not one this daemon gave out", {"param": "cursor"}) from None
    if text != order.text or not isinstance(job_id, str) or not isinstance(value, str):
        raise InvalidParams(
            "cursor belongs to a different order; start again without it", {"param": "cursor"}
        )
    return value, job_id


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class Filter:
    """What a listing selects: any of ``statuses``, and every search term.

    A term must appear, case-insensitively, in the file name or the URL. Terms of
    three characters or more can use the trigram index (``long_terms``).
    """

    statuses: tuple[str, ...]
    long_terms: tuple[str, ...]
    short_terms: tuple[str, ...]

    @classmethod
    def of(cls, statuses: list[str], query: str | None) -> Filter:
        terms = (query or "").split()
        return cls(
            tuple(statuses),
            tuple(t for t in terms if len(t) >= _TRIGRAM),
            tuple(t for t in terms if len(t) < _TRIGRAM),
        )

    @property
    def ascii(self) -> bool:
        return all(term.isascii() for term in self.long_terms)

    @property
    def match(self) -> str:
        """The FTS5 query for the long terms: quoted, so the user's text is never syntax."""
        return " AND ".join('"' + t.replace('"', '""') + '"' for t in self.long_terms)


def where_sql(f: Filter, *, fts: bool) -> tuple[str, list[Any]]:
    """The WHERE clause (or ''); long terms through the trigram index (``fts``) or LIKE."""
    clauses: list[str] = []
    params: list[Any] = []
    if f.statuses:
        clauses.append(f"status IN ({', '.join('?' * len(f.statuses))})")
        params.extend(f.statuses)
    if fts and f.long_terms:
        clauses.append("rowid IN (SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH ?)")
        params.append(f.match)
    for term in f.short_terms if fts else f.long_terms + f.short_terms:
        clauses.append("(filename LIKE ? ESCAPE '\\' OR url LIKE ? ESCAPE '\\')")
        params.extend([_like_pattern(term)] * 2)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def order_index(order: Order, single_status: bool) -> str:
    """The index that walks rows in ``order`` (within one status when ``single_status``)."""
    column = {"created_at": "created", "finished_at": "finished", "filename": "filename"}[order.key]
    return f"jobs_status_{column}" if single_status else f"jobs_{column}"


def page_sql(
    f: Filter,
    order: Order,
    after: tuple[Any, str] | None,
    limit: int,
    *,
    fts: bool,
    index: str | None,
) -> tuple[str, list[Any]]:
    """SELECT for one page (``limit + 1`` rows: the extra one says whether more follow).

    ``index`` forces a walk along that index (right when matches are dense);
    None leaves the choice to SQLite (right when a selective filter drives it).
    """
    where, params = where_sql(f, fts=fts)
    direction = "DESC" if order.descending else "ASC"
    if after is not None:
        # Row values compare (key, id) as a pair: exact keyset paging.
        comparison = "<" if order.descending else ">"
        seek = f"({order.key}, id) {comparison} (?, ?)"
        where = f"{where} AND {seek}" if where else f" WHERE {seek}"
        params = [*params, after[0], after[1]]
    source = f"jobs INDEXED BY {index}" if index else "jobs"
    select = SELECT_JOB.replace(" FROM jobs", f" FROM {source}")
    sql = f"{select}{where} ORDER BY {order.key} {direction}, id {direction} LIMIT ?"
    return sql, [*params, limit + 1]


def count_sql(f: Filter, *, fts: bool, cap: int | None = None) -> tuple[str, list[Any]]:
    """count(*) of the matching jobs; with ``cap``, it stops after ``cap + 1``."""
    where, params = where_sql(f, fts=fts)
    if cap is None:
        return f"SELECT count(*) FROM jobs{where}", params
    return f"SELECT count(*) FROM (SELECT 1 FROM jobs{where} LIMIT ?)", [*params, cap + 1]
