"""Which folders a job may write to (issue 11): ``options.dir`` must be absolute
(the daemon's working directory and ``~`` mean nothing to a client), and a
paired client is held to the download folder and ``allowed_dirs``.

Folders are compared after resolving symlinks, so a link inside the download
folder that points at ``~/.ssh`` is outside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


class FolderRefused(ValueError):
    """``options.dir`` names a folder this client may not use; the text says why."""


def absolute_folder(value: str) -> Path:
    """``value`` as an absolute, normalised folder; refuses relative ones and ``~``."""
    if not value or "\0" in value:
        raise FolderRefused("must be an absolute folder")
    path = Path(value)
    if not path.is_absolute():
        raise FolderRefused(
            f"must be an absolute folder, not {value[:200]!r} (relative folders and ~ "
            "are not expanded by the daemon)"
        )
    return Path(os.path.normpath(path))


def within(folder: Path, roots: Iterable[Path]) -> bool:
    """True when ``folder`` (symlinks resolved) is one of ``roots`` or inside one."""
    real = Path(os.path.realpath(folder))
    for root in roots:
        base = Path(os.path.realpath(root))
        if real == base or base in real.parents:
            return True
    return False


def check_folder(value: str, roots: Iterable[Path] | None) -> Path:
    """The folder a job may use: any absolute one when ``roots`` is None (the owner),
    else only inside ``roots`` (a paired client)."""
    folder = absolute_folder(value)
    if roots is not None:
        roots = list(roots)
        if not within(folder, roots):
            shown = ", ".join(str(r) for r in roots)
            raise FolderRefused(
                f"a paired client may only use the download folder and allowed_dirs ({shown})"
            )
    return folder
