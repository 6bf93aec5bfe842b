"""A Job dict of idm's protocol as aria2 shapes a download (``tellStatus``).

Pure. Numbers become decimal strings; idm's statuses and error codes become
aria2's; segments become fixed-size pieces and a bitfield. Only the keys asked
for are computed, so a poll with a ``keys`` filter stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from typing import Any

STATUS = {
    "downloading": "active",
    "queued": "waiting",
    "waiting": "waiting",  # idm waits for a duplicate decision; it is still in the queue
    "paused": "paused",
    "completed": "complete",
    "failed": "error",
    "cancelled": "removed",
}
STOPPED = ("completed", "failed", "cancelled")  # aria2's "stopped": complete, error, removed
WAITING = ("queued", "waiting", "paused")  # aria2's waiting queue holds paused downloads too

# idm's job.error.code → aria2's exit status (aria2's man page, EXIT STATUS).
ERROR_CODES = {
    "network": "6",
    "stalled": "2",
    "ranges": "8",
    "changed": "22",
    "size": "22",
    "checksum": "32",
    "no_space": "9",
    "io": "17",
    "not_a_file": "3",
    "unsupported": "1",
    "internal": "1",
    "geo": "24",
    "age": "24",
    "login": "24",
    "playlist": "1",
    "media": "1",
}
REMOVED_CODE = "31"  # aria2's code for a download the user removed

PIECE = 1 << 20  # aria2's piece length for HTTP downloads
MAX_PIECES = 4096  # beyond that the piece length doubles, keeping the bitfield short


def error_code(error: Mapping[str, Any] | None) -> str:
    if not error:
        return "1"
    code = str(error.get("code") or "")
    if code == "http":
        message = str(error.get("message") or "")
        status = (
            message.split()[1] if message.startswith("HTTP ") and len(message.split()) > 1 else ""
        )
        if status in ("404", "410"):
            return "3"
        if status in ("401", "403", "407"):
            return "24"
        return "22"
    return ERROR_CODES.get(code, "1")


def piece_length(size: int) -> int:
    length = PIECE
    while size > length * MAX_PIECES:
        length *= 2
    return length


def done_ranges(job: Mapping[str, Any]) -> list[tuple[int, int]]:
    """The byte ranges on disk: each segment's done prefix, or one stream from 0."""
    segments = job.get("segments") or []
    if segments:
        return [(start, start + done) for start, _end, done in segments if done > 0]
    done = int(job.get("done") or 0)
    return [(0, done)] if done else []


def bitfield(job: Mapping[str, Any], size: int, length: int) -> str:
    """aria2's bitfield: one bit per piece, set when the whole piece is on disk."""
    count = -(-size // length)
    if job.get("status") == "completed":
        bits = [True] * count
    else:
        covered = [0] * count
        for start, end in done_ranges(job):
            first = -(-start // length)  # pieces wholly inside [start, end)
            for index in range(first, count):
                piece_end = min((index + 1) * length, size)
                if piece_end > end:
                    break
                covered[index] = 1
        bits = [bool(c) for c in covered]
    bits += [False] * (-len(bits) % 8)
    return bytes(
        sum(1 << (7 - j) for j in range(8) if bits[i + j]) for i in range(0, len(bits), 8)
    ).hex()


def job_dir(job: Mapping[str, Any], default_dir: str) -> str:
    path = job.get("path")
    if path:
        return os.path.dirname(path)
    return str((job.get("options") or {}).get("dir") or default_dir)


def job_path(job: Mapping[str, Any], default_dir: str) -> str:
    if job.get("path"):
        return str(job["path"])
    name = job.get("filename") or ""
    return os.path.join(job_dir(job, default_dir), name) if name else ""


def files(job: Mapping[str, Any], default_dir: str) -> list[dict[str, Any]]:
    """``files[]``: one file per job, its URL as the only URI."""
    running = job.get("status") == "downloading"
    return [
        {
            "index": "1",
            "path": job_path(job, default_dir),
            "length": str(job.get("size") or 0),
            "completedLength": str(job.get("done") or 0),
            "selected": "true",
            "uris": uris(job) if running else [{"uri": job.get("url", ""), "status": "waiting"}],
        }
    ]


def uris(job: Mapping[str, Any]) -> list[dict[str, str]]:
    used = "used" if job.get("status") == "downloading" else "waiting"
    return [{"uri": str(job.get("url", "")), "status": used}]


Field = Callable[[Mapping[str, Any], str, str], Any]

FIELDS: dict[str, Field] = {
    "gid": lambda j, gid, d: gid,
    "status": lambda j, gid, d: STATUS.get(str(j.get("status")), "waiting"),
    "totalLength": lambda j, gid, d: str(j.get("size") or 0),
    "completedLength": lambda j, gid, d: str(j.get("done") or 0),
    "uploadLength": lambda j, gid, d: "0",
    "downloadSpeed": lambda j, gid, d: str(int(j.get("speed") or 0)),
    "uploadSpeed": lambda j, gid, d: "0",
    "connections": lambda j, gid, d: str(j.get("connections") or 0),
    "pieceLength": lambda j, gid, d: str(piece_length(int(j.get("size") or 0))),
    "numPieces": lambda j, gid, d: str(
        -(-int(j.get("size") or 0) // piece_length(int(j.get("size") or 0)))
    ),
    "dir": lambda j, gid, d: job_dir(j, d),
    "files": lambda j, gid, d: files(j, d),
    "verifiedLength": lambda j, gid, d: "0",
    "verifyIntegrityPending": lambda j, gid, d: "false",
}
KEYS = (*FIELDS, "bitfield", "errorCode", "errorMessage")


def aria2_status(
    job: Mapping[str, Any], gid: str, default_dir: str, keys: Collection[str] | None = None
) -> dict[str, Any]:
    """The aria2 status struct of ``job``; with ``keys``, only those keys (aria2's filter)."""
    wanted = KEYS if not keys else keys
    out: dict[str, Any] = {}
    for key in wanted:
        field = FIELDS.get(key)
        if field is not None:
            out[key] = field(job, gid, default_dir)
    status = job.get("status")
    size = int(job.get("size") or 0)
    if "bitfield" in wanted and size > 0:
        out["bitfield"] = bitfield(job, size, piece_length(size))
    if status in STOPPED:
        if "errorCode" in wanted:
            out["errorCode"] = {"completed": "0", "cancelled": REMOVED_CODE}.get(
                status
            ) or error_code(job.get("error"))
        if "errorMessage" in wanted:
            out["errorMessage"] = (
                ""
                if status == "completed"
                else str(
                    (job.get("error") or {}).get("message")
                    or ("Removed" if status == "cancelled" else "Failed")
                )
            )
    return out
