"""A fleet job's record in the KV bucket, and its transitions (pure: no NATS here).

The record is the fleet's truth about a job: what to download, who holds it,
how far it got (the resume data a taker continues from) and how it ended.
Every transition here is a function from the record read at some revision to
the next one, or None when the transition does not apply (the job is not
this node's any more, or already ended). ``idmd.fleet.ledger`` writes the
result with compare-and-set on that revision, so two nodes racing after a
redelivery cannot both complete a job.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

Record = dict[str, Any]

QUEUED, DOWNLOADING = "queued", "downloading"
ENDED = frozenset({"completed", "failed", "cancelled"})
# The job's own fields a record carries (the rest is the fleet's: owner, attempt, added_by).
JOB_FIELDS = (
    "id",
    "url",
    "options",
    "kind",
    "created_at",
    "playlist",
    "filename",
    "path",
    "size",
    "done",
)


class Verdict(StrEnum):
    """What a node does with a delivered job message."""

    RUN = "run"  # claimed: run it
    ENDED = "ended"  # completed, failed or cancelled already: ack, nothing to do
    BUSY = "busy"  # another node that is alive holds it: give the message back for later


def new_record(job: dict[str, Any], node: str) -> Record:
    """The record of a job just added on ``node`` (``job``: its stored fields and options)."""
    record: Record = {key: job.get(key) for key in JOB_FIELDS}
    record.update(
        status=QUEUED,
        owner=None,
        attempt=0,
        added_by=node,
        segments=[],
        state={},
        error=None,
        paused=False,
        done=int(job.get("done") or 0),
    )
    return record


def judge(record: Record, node: str, owner_alive: bool) -> Verdict:
    """Whether ``node`` may take the job a message delivered."""
    if record.get("status") in ENDED:
        return Verdict.ENDED
    owner = record.get("owner")
    if record.get("status") == DOWNLOADING and owner not in (None, node) and owner_alive:
        return Verdict.BUSY
    return Verdict.RUN


def claim(record: Record, node: str) -> Record:
    """``node`` runs the job now (after ``judge`` said RUN); ``previous`` says who had it."""
    return {
        **record,
        "status": DOWNLOADING,
        "owner": node,
        "previous": record.get("owner"),
        "attempt": int(record.get("attempt") or 0) + 1,
    }


def holds(record: Record | None, node: str) -> bool:
    """Whether the record says ``node`` runs the job (not taken over, not ended, not gone)."""
    return (
        record is not None and record.get("owner") == node and record.get("status") == DOWNLOADING
    )


def progress(record: Record, node: str, update: dict[str, Any]) -> Record | None:
    """A checkpoint of ``node``'s run: None when the job is no longer ``node``'s."""
    if not holds(record, node):
        return None
    return {**record, **update}


def fence(record: Record, node: str) -> Record | None:
    """``node`` has every byte and is about to give the file its final name: only while the
    record still names it (None: taken over, ended or gone). Written back as a new revision, so
    a node that read the record before cannot take the job over on that read."""
    if not holds(record, node):
        return None
    return {**record, "finishing": node}


def lost(record: Record | None, node: str) -> str:
    """Why ``node``, which ran the job, does not any more (``holds`` said no), for its log."""
    if record is None:
        return "removed from the fleet while this node was cut off from it: stopped here"
    owner, status = record.get("owner"), record.get("status")
    if owner not in (None, node):
        return (
            f"taken over by node {owner} while this node was cut off from the fleet: "
            f"stopped here, the job is {owner}'s now"
        )
    return f"{status} in the fleet while this node was cut off from it: stopped here"


def finish(
    record: Record,
    node: str,
    status: str,
    error: dict[str, Any] | None = None,
    update: dict[str, Any] | None = None,
) -> Record | None:
    """The job ended on ``node`` (completed, failed for good, cancelled): None if it is not
    ``node``'s to end, so a job is completed once however many nodes ran it."""
    if status not in ENDED:
        raise ValueError(f"{status} is not an end")
    if record.get("status") in ENDED or record.get("owner") != node:
        return None
    return {**record, **(update or {}), "status": status, "error": error}


def release(
    record: Record,
    node: str,
    error: dict[str, Any] | None = None,
    update: dict[str, Any] | None = None,
) -> Record | None:
    """``node`` gives the job back (a failed attempt, or the node stops): queued for any node,
    with the checkpoint it reached."""
    if record.get("status") in ENDED or record.get("owner") != node:
        return None
    return {
        **record,
        **(update or {}),
        "status": QUEUED,
        "owner": None,
        "previous": node,
        "error": error if error is not None else record.get("error"),
    }


def pause(record: Record, node: str, paused: bool) -> Record | None:
    """``node``, which holds the job, paused it (or resumed it): a node that takes the job over
    (this one died, or stopped) keeps it paused. None when nothing changes or it is not
    ``node``'s."""
    if (
        record.get("owner") != node
        or record.get("status") in ENDED
        or bool(record.get("paused")) == paused
    ):
        return None
    return {**record, "paused": paused}


def cancel(record: Record) -> Record | None:
    """Cancelled by a user on any node, whoever holds it: None if it ended already."""
    if record.get("status") in ENDED:
        return None
    return {**record, "status": "cancelled", "error": None}
