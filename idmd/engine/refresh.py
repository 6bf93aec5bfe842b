"""A stopped job given a new link (``jobs.update {patch: {url}}``) keeps the bytes it has.

Links expire (signed CDN URLs, session links) long before a big download is done.
One ranged request to the new URL says its size and validators; when they agree
with what the job's resume data recorded (``job.state["http"]``), the job's URL is
replaced and its next run continues from the checkpoint, part file and segments
kept. Otherwise the change is refused with what differs (``differences`` is a
plain function). Only paused and failed plain-file jobs take a new link: a running
job's connections hold the old one, and a media job extracts its links afresh on
every run anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from idmd.config import Config
from idmd.core.userinfo import split_credentials
from idmd.engine.http.errors import FetchError
from idmd.engine.http.fetch import open_response
from idmd.engine.http.response import ResponseInfo, read_headers
from idmd.engine.jobs import Job
from idmd.engine.options import request_headers
from idmd.engine.queue import JobQueue
from idmd.events import EventBus
from idmd.protocol.checks import bad
from idmd.protocol.errors import InvalidParams, NotAllowed
from idmd.protocol.events import EventType
from idmd.protocol.jobs import Status
from idmd.protocol.options import check_options

REFRESHABLE = (Status.PAUSED, Status.FAILED)
PARAM = "patch.url"


def differences(
    kept: Mapping[str, Any], size: int | None, has_bytes: bool, info: ResponseInfo
) -> list[str]:
    """What differs between the file a job downloads and the one the new link serves,
    each as ``what new ≠ kept``; empty when the new link may continue the download.

    ``kept``: the job's ``state["http"]`` (ETag, Last-Modified, whether ranges worked);
    ``size``: the file's size as the job knows it; ``has_bytes``: bytes are on disk.
    A validator is compared only when both sides have it (mirrors often send none).
    """
    found: list[str] = []
    if size is not None:
        if info.size is None:
            found.append(f"size unknown ≠ {size}")
        elif info.size != size:
            found.append(f"size {info.size} ≠ {size}")
    old_etag, new_etag = kept.get("etag"), info.etag
    if old_etag and new_etag and str(old_etag).removeprefix("W/") != new_etag.removeprefix("W/"):
        found.append(f"ETag {new_etag} ≠ {old_etag}")
    old_modified = kept.get("last_modified")
    if old_modified and info.last_modified and old_modified != info.last_modified:
        found.append(f"Last-Modified {info.last_modified} ≠ {old_modified}")
    if has_bytes and kept.get("ranges") and not info.ranges:
        found.append("byte ranges none ≠ supported (the bytes kept could not be continued)")
    return found


class LinkRefresh:
    """Checks a new link against a stopped job and,
    when it is the same file, gives it to the job."""

    def __init__(
        self,
        queue: JobQueue,
        store: Any,
        bus: EventBus,
        session: Callable[[str, Mapping[str, Any]], aiohttp.ClientSession],
        config: Callable[[], Config],
        schedule: Callable[[], None],
    ) -> None:
        self._queue = queue
        self._store = store
        self._bus = bus
        self._session = session
        self._config = config
        self._schedule = schedule

    async def refresh(self, job: Job, url: str) -> None:
        """Give ``job`` the checked ``url``: a failed job is queued again, a paused one stays
        paused. Raises NotAllowed (-32009) for a job in another state, InvalidParams (-32602,
        ``data.param`` ``patch.url``, ``data.differs``) for a link to a different file."""
        self._check_state(job)
        url, credentials = split_credentials(url, {})
        options = {
            **job.options,
            **check_options(credentials, "patch"),
        }  # user:password@ in the link
        info = await self._probe(url, options)
        self._check_state(job)  # a resume or a cancel may have come while the probe ran
        kept: dict[str, Any] = job.state.get("http") or {}
        size = kept.get("size") if kept.get("size") is not None else job.size
        found = differences(kept, size, job.done > 0, info)
        if found:
            raise InvalidParams(
                f"{PARAM}: the new URL serves a different file (new ≠ this download's): "
                + "; ".join(found),
                {"param": PARAM, "differs": found},
            )
        if kept:
            # The connections fetch state["url"] while state["requested"] is the job's URL.
            kept.update(
                requested=url, url=info.final_url, etag=info.etag, last_modified=info.last_modified
            )
        job.url = url
        job.options.update(options)  # type: ignore[typeddict-item]  # checked above
        self._store.save_job(job.to_store())
        self._store.checkpoint(job.id, job.done, job.segment_lists(), job.state)
        self._bus.emit(EventType.JOB_UPDATED, job.id, {"url": url})
        self._bus.emit(
            EventType.JOB_LOG,
            job.id,
            {
                "level": "info",
                "message": f"new URL accepted; the {job.done} bytes downloaded are kept",
            },
        )
        if job.status == Status.FAILED:
            self._queue.set_status(job, Status.QUEUED, None)
            self._schedule()

    @staticmethod
    def _check_state(job: Job) -> None:
        if job.kind != "http":
            raise NotAllowed(
                "a media job finds its links afresh on every run: retry it instead",
                data={"id": job.id},
            )
        if job.status not in REFRESHABLE:
            raise NotAllowed(
                f"only a paused or failed job can be given a new URL, not a {job.status} one",
                data={"id": job.id},
            )

    async def _probe(self, url: str, options: Mapping[str, Any]) -> ResponseInfo:
        """One request for the first byte: the size (Content-Range), validators, ranges."""
        config = self._config()
        headers = request_headers(options, config.user_agent)
        try:
            response = await open_response(
                self._session(url, options), url, headers, 0, 1, config.stall_timeout
            )
        except FetchError as exc:
            raise bad(PARAM, f"the new URL cannot be fetched: {exc.message}") from None
        try:
            return read_headers(response.status, str(response.url), response.headers, 0)
        finally:
            response.close()
