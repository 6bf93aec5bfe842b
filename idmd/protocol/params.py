"""The ``jobs.*`` parameters other than the options, declared once: the URL,
id lists, ``add_many`` items, the listing's filters and the duplicate
decision, with their ranges and defaults; and ``events.subscribe``'s.

The engine checks what it is given with these functions (the RPC layer only
binds JSON to the method's annotations), and the store draws the listing's
limits and orders from ``LISTING``. See idmd/protocol/options.py for the options.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from idmd.protocol import checks
from idmd.protocol.checks import MAX_URL, bad
from idmd.protocol.errors import InvalidParams, UrlNotSupported
from idmd.protocol.events import EventType
from idmd.protocol.jobs import Status
from idmd.protocol.models import JobOptions
from idmd.protocol.options import check_options, check_patch


@dataclass(frozen=True)
class Param:
    """One ``jobs.*`` parameter: range or choices, default and help (docs and tests use them)."""

    name: str
    help: str
    default: Any = None
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()


MAX_ID = 128
ORDER_KEYS = ("created_at", "finished_at", "filename")
ORDERS = tuple(prefix + key for key in ORDER_KEYS for prefix in ("", "-"))
STATUSES = tuple(str(s) for s in Status)
DECISIONS = ("rename", "overwrite", "skip")

URL = Param("url", "an http or https URL", high=MAX_URL)
IDS = Param("ids", "job ids", low=1, high=10_000)
ITEMS = Param("items", "{url, options} objects for jobs.add_many", low=1, high=1000)
ACTION = Param(
    "action", "the decision for a job waiting because its file exists", choices=DECISIONS
)
LISTING: dict[str, Param] = {
    "status": Param("status", "only jobs in these statuses", choices=STATUSES),
    "query": Param("query", "words that must all appear in the file name or URL", high=1000),
    "limit": Param("limit", "jobs per page", default=100, low=1, high=1000),
    "cursor": Param("cursor", "the page after the one that returned this cursor"),
    "order": Param(
        "order", "the sort key, '-' first for descending", default="-created_at", choices=ORDERS
    ),
}

SUBSCRIBE: dict[str, Param] = {
    "since": Param(
        "since", "replay every retained event after this seq; null: none", low=0, high=2**63 - 1
    ),
    "types": Param("types", "only these event types", choices=tuple(str(t) for t in EventType)),
}


_CONTROL = re.compile(r"[\x00-\x1f]")  # control characters


def check_url(url: Any, path: str = "url") -> str:
    """The URL, stripped: an absolute http(s) URL with a host (another scheme is -32010)."""
    if not isinstance(url, str) or not url.strip() or len(url.strip()) > MAX_URL:
        raise bad(path, f"must be a URL of 1 to {MAX_URL} characters")
    url = url.strip()
    if _CONTROL.search(url):
        raise bad(path, "contains control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise bad(path, f"is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UrlNotSupported(
            f"only http and https URLs can be downloaded, not {url[:100]!r}",
            {"param": path, "scheme": parts.scheme},
        )
    if not parts.hostname:
        raise bad(path, "has no host")
    return url


def check_update(patch: Any) -> tuple[str | None, JobOptions]:
    """A ``jobs.update`` patch: the new ``url`` (None: unchanged) and the options it changes."""
    options = check_patch(patch)
    url = check_url(patch["url"], "patch.url") if "url" in patch else None
    return url, options


def check_ids(ids: Any) -> list[str]:
    return checks.string_list(ids, IDS.name, IDS.low, IDS.high, MAX_ID, "job ids")


def check_action(action: Any) -> str:
    return checks.choice(action, ACTION.name, ACTION.choices)


@dataclass(frozen=True)
class Item:
    """One checked ``jobs.add_many`` item."""

    url: str
    options: JobOptions


def check_items(
    items: Any, roots: Iterable[Path] | None = None
) -> list[Item | InvalidParams | UrlNotSupported]:
    """Each item checked on its own: an Item, or the error that item gets (the others still run)."""
    if not isinstance(items, list) or not ITEMS.low <= len(items) <= ITEMS.high:
        raise bad(ITEMS.name, f"must list {ITEMS.low} to {ITEMS.high} {{url, options}} objects")
    checked: list[Item | InvalidParams | UrlNotSupported] = []
    for index, item in enumerate(items):
        path = f"items[{index}]"
        try:
            if not isinstance(item, Mapping):
                raise bad(path, "must be an object {url, options}")
            unknown = set(item) - {"url", "options"}
            if unknown:
                raise bad(f"{path}.{min(unknown)}", "unknown key (url, options)")
            checked.append(
                Item(
                    check_url(item.get("url"), f"{path}.url"),
                    check_options(item.get("options"), f"{path}.options", roots),
                )
            )
        except (InvalidParams, UrlNotSupported) as exc:
            checked.append(exc)
    return checked


@dataclass(frozen=True)
class Listing:
    """A checked ``jobs.list`` request."""

    statuses: tuple[str, ...]
    query: str | None
    limit: int
    cursor: str | None
    order: str


def check_listing(
    status: Any = None,
    query: Any = None,
    limit: Any = 100,
    cursor: Any = None,
    order: Any = "-created_at",
) -> Listing:
    spec = LISTING
    if isinstance(status, str):
        status = [status]
    statuses: list[str] = []
    for value in status or []:
        if value not in spec["status"].choices:
            raise bad(
                "status",
                f"unknown status {value!r}: must list statuses among " + ", ".join(STATUSES),
            )
        statuses.append(value)
    if query is not None and (not isinstance(query, str) or len(query) > spec["query"].high):
        raise bad("query", f"must be a string of at most {spec['query'].high} characters")
    if cursor is not None:
        checks.one_line(cursor, "cursor", 4096)
    return Listing(
        tuple(dict.fromkeys(statuses)),
        query,
        checks.integer(limit, "limit", spec["limit"].low, spec["limit"].high),
        cursor,
        checks.choice("-created_at" if order is None else order, "order", spec["order"].choices),
    )


def check_subscription(since: Any, types: Any) -> None:
    """``events.subscribe``'s ``since`` (a seq or null) and ``types`` (event type names or null)."""
    spec = SUBSCRIBE
    if since is not None:
        checks.integer(since, "since", spec["since"].low, spec["since"].high)
    for value in types or []:
        if value not in spec["types"].choices:
            raise bad("types", "must list event types among " + ", ".join(spec["types"].choices))
