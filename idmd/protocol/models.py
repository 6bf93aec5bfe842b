"""The shapes of what crosses the protocol: a Job, its options, its error, a page
of jobs, the stats. TypedDicts, so the wire format stays plain JSON objects
while mypy checks every producer (engine, store) and consumer (RPC, clients).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict, cast

# [start, end, done]: bytes start..end (exclusive) of which ``done`` are on disk.
Segment = list[int]


class JobError(TypedDict):
    code: str
    message: str


class ErrorObject(TypedDict):
    """A JSON-RPC error object, as ``jobs.add_many`` returns it for an item."""

    code: int
    message: str
    data: NotRequired[Any]


class ItemError(TypedDict):
    error: ErrorObject


class JobOptions(TypedDict, total=False):
    """A job's options, as idmd.protocol.options declares and checks them."""

    dir: str
    filename: str
    connections: int
    quality: str
    format: str
    headers: dict[str, str]
    cookies: str | dict[str, str]
    referer: str
    user_agent: str
    checksum: str
    start: str
    priority: int
    on_duplicate: str
    mode: str
    speed_limit: int
    playlist: bool
    user: str
    password: str
    proxy: str
    proxy_password: str
    category: str
    after: str
    queue: str
    start_at: str


class Media(TypedDict, total=False):
    title: str | None
    format: str | None
    quality: str | None
    thumbnail: str | None


class PlaylistEntry(TypedDict, total=False):
    """Where a job expanded from a playlist came from."""

    id: str | None
    title: str | None
    index: int


class Job(TypedDict):
    id: str
    url: str
    kind: str  # http | media
    status: str  # a protocol.jobs.Status value
    filename: str
    path: str | None
    size: int | None
    done: int
    speed: float
    eta: float | None
    connections: int
    segments: NotRequired[
        list[Segment]
    ]  # full in jobs.get and detail events; [] or absent elsewhere
    error: JobError | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    options: JobOptions
    media: Media | None
    playlist: NotRequired[PlaylistEntry]
    note: NotRequired[str]  # how a job ended without an error: "skipped: the file exists"
    category: NotRequired[str]  # the category whose folder it went to (idmd/core/categories.py)
    retry_at: NotRequired[str]  # a failed job's next automatic attempt (ISO 8601 UTC)
    auto_retries: NotRequired[int]  # automatic attempts made since it last failed for good


class JobPage(TypedDict):
    """``jobs.list``: one page, the number of matches and the next page's cursor."""

    jobs: list[Job]
    total: int
    cursor: str | None
    total_capped: NotRequired[bool]


def merge(job: Job, changes: Mapping[str, Any]) -> None:
    """Apply an event's changed fields (``job.updated``, ``job.progress``…) to a client's Job."""
    cast(dict[str, Any], job).update(changes)
