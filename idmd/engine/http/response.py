"""Reading what one HTTP response says: range, size, validators, name, type.

Kept apart from the connection code so the rules (which Content-Range is
acceptable, when the file has changed) are plain functions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)\s*$", re.IGNORECASE)
MEDIA_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "application/vnd.apple.mpegurl",
    "application/x-mpegurl",
    "audio/mpegurl",
    "audio/x-mpegurl",
    "application/dash+xml",
)


@dataclass(frozen=True)
class ContentRange:
    start: int | None
    end: int | None  # inclusive, as in the header
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    if not value:
        return None
    match = _CONTENT_RANGE.match(value)
    if not match:
        return None
    start, end, total = match.groups()
    return ContentRange(
        int(start) if start is not None else None,
        int(end) if end is not None else None,
        int(total) if total not in (None, "*") else None,
    )


@dataclass(frozen=True)
class ResponseInfo:
    status: int
    final_url: str
    size: int | None  # the whole file's size when known
    ranges: bool  # answered a range request with a matching 206
    etag: str | None
    last_modified: str | None
    content_type: str
    content_disposition: str | None
    length: int | None  # Content-Length of this response


def read_headers(
    status: int, final_url: str, headers: Mapping[str, str], asked_start: int | None
) -> ResponseInfo:
    """Interpret a 200/206 response to a request for ``bytes=asked_start-`` (or no Range)."""
    length_header = headers.get("Content-Length")
    length = int(length_header) if length_header and length_header.isdigit() else None
    if headers.get("Content-Encoding", "identity").lower() not in ("identity", ""):
        length = None  # the decoded body differs from the stated length
    content_range = parse_content_range(headers.get("Content-Range"))
    ranges = status == 206 and content_range is not None and content_range.start is not None
    if ranges and content_range is not None:
        size = content_range.total
    elif status == 200:
        size = length
    else:
        size = None
    content_type = headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return ResponseInfo(
        status=status,
        final_url=final_url,
        size=size,
        ranges=ranges,
        etag=headers.get("ETag"),
        last_modified=headers.get("Last-Modified"),
        content_type=content_type,
        content_disposition=headers.get("Content-Disposition"),
        length=length,
    )


def range_problem(status: int, headers: Mapping[str, str], start: int) -> str | None:
    """Why a 200/206 answer to ``Range: bytes=start-...`` cannot be used, or None when it can.

    A 200 (the whole body) is fine only from byte 0.
    """
    if status == 200:
        return None if start == 0 else "the server ignored the Range header (200)"
    content_range = parse_content_range(headers.get("Content-Range"))
    if content_range is None or content_range.start is None or content_range.end is None:
        return f"206 with an unusable Content-Range {headers.get('Content-Range')!r}"
    if content_range.start != start:
        return f"asked for bytes from {start}, got Content-Range {headers.get('Content-Range')}"
    if content_range.end < content_range.start:
        return f"Content-Range {headers.get('Content-Range')} is empty"
    # A shorter range than asked is allowed (RFC 9110): the connection reads it and asks again.
    # A different total size is a changed file: ``changed_validators`` reports it.
    return None


def changed_validators(
    first: Mapping[str, object], etag: str | None, last_modified: str | None, size: int | None
) -> str | None:
    """Why the file on the server differs from the one we started, or None."""
    old_etag = first.get("etag")
    if old_etag and etag and _strip_weak(str(old_etag)) != _strip_weak(etag):
        return f"the ETag changed ({old_etag} -> {etag})"
    old_modified = first.get("last_modified")
    if not old_etag and old_modified and last_modified and old_modified != last_modified:
        return f"Last-Modified changed ({old_modified} -> {last_modified})"
    old_size = first.get("size")
    if old_size is not None and size is not None and old_size != size:
        return f"the size changed ({old_size} -> {size} bytes)"
    return None


def _strip_weak(etag: str) -> str:
    return etag.removeprefix("W/")


def looks_like_media(content_type: str, url: str) -> bool:
    """Whether mode ``auto`` should hand this to the media runner."""
    path = url.split("?", 1)[0].lower()
    return content_type in MEDIA_TYPES or path.endswith((".m3u8", ".mpd"))


class KnownFile:
    """What the job's resume data (``job.state["http"]``) says of the file: its size, and
    whether ranged requests work. Shared by the download and its connections."""

    state: dict[str, Any]

    @property
    def size(self) -> int | None:
        size = self.state.get("size")
        return int(size) if size is not None else None

    @property
    def ranges(self) -> bool:
        return bool(self.state.get("ranges")) and self.size is not None
