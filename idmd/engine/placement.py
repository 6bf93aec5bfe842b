"""Where a file goes: a sanitised name inside the folder, and what to do with duplicates.

Names that another running job already holds count as taken, so two jobs
never write the same ``.part``; ``on_duplicate`` decides for existing files.
"""

from __future__ import annotations

import os
from pathlib import Path

from idmd.core.filenames import unique_name
from idmd.engine.http.partfile import part_owner
from idmd.engine.runner import NeedsDecision, Skipped


class Reservations:
    """Target paths held by running jobs (their ``.part`` files may not exist yet)."""

    def __init__(self) -> None:
        self._held: dict[str, str] = {}  # path -> job id

    def taken(self, folder: Path, name: str, job_id: str) -> bool:
        path = folder / name
        holder = self._held.get(str(path))
        if holder is not None and holder != job_id:
            return True
        # lexists: a symlink, dangling or not, is an existing file (never written through).
        # A part file this job made (it restarted without its saved state) is its own.
        part = path.with_name(name + ".part")
        return os.path.lexists(path) or (os.path.lexists(part) and part_owner(part) != job_id)

    def hold(self, path: Path, job_id: str) -> None:
        self._held[str(path)] = job_id

    def release(self, job_id: str) -> None:
        for path in [p for p, holder in self._held.items() if holder == job_id]:
            del self._held[path]


def place(
    reservations: Reservations,
    job_id: str,
    folder: Path,
    name: str,
    on_duplicate: str,
) -> tuple[Path, bool]:
    """``(target, overwrite)`` for a download named ``name`` (``choose_filename``'s, already
    sanitised); raises ``NeedsDecision`` or ``Skipped``.

    ``folder`` must be absolute and resolved (``Engine.folder`` does it once per folder).
    """
    target = folder / name
    if name in ("", ".", "..") or target.parent != folder:  # cannot happen after sanitising
        name = "download"
        target = folder / name
    exists = os.path.lexists(target)
    busy = reservations.taken(folder, name, job_id) and not exists
    overwrite = False
    if busy or (exists and on_duplicate == "rename"):
        name = unique_name(name, lambda n: reservations.taken(folder, n, job_id))
        target = folder / name
    elif exists and on_duplicate == "skip":
        raise Skipped(target)
    elif exists and on_duplicate == "ask":
        raise NeedsDecision(target)
    elif exists:
        overwrite = True
    reservations.hold(target, job_id)
    return target, overwrite
