"""GIDs: aria2's 16 hex digits, derived from idm's job ids without storing anything.

A job id of 1 to 15 hex digits (idm's are 12) is written into the GID with its
length in the first digit: ``c`` + the id padded to 15 digits. The mapping is
a pure function both ways, so a GID stays the same across restarts and for
every client. Any other id (none today) gets ``0`` + 15 digits of its SHA-256
and is found again through the ids this process has handed out.
"""

from __future__ import annotations

import hashlib
import re

_HEX = re.compile(r"^[0-9a-f]{1,15}$")
GID_RE = re.compile(r"^[0-9a-fA-F]{16}$")


class Gids:
    """GID ↔ job id; remembers only the hashed ones (ids that are not short hex)."""

    def __init__(self) -> None:
        self._hashed: dict[str, str] = {}

    def gid(self, job_id: str) -> str:
        if _HEX.match(job_id):
            return f"{len(job_id):x}{job_id:0>15}"
        gid = "0" + hashlib.sha256(job_id.encode("utf-8", "surrogatepass")).hexdigest()[:15]
        self._hashed[gid] = job_id
        return gid

    def job_id(self, gid: str) -> str | None:
        """The job id a well-formed GID stands for, or None when it stands for none."""
        gid = gid.lower()
        length = int(gid[0], 16)
        if length == 0:
            return self._hashed.get(gid)
        head, tail = gid[1 : 16 - length], gid[16 - length :]
        return tail if head == "0" * len(head) else None
