"""Where the daemon listens and which token it wants: ``daemon.json`` and the
token file in the state dir (``IDM_HOME`` respected through ``idmd.paths``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from idmd.client.errors import DaemonNotRunning
from idmd.instance import read_daemon_file
from idmd.paths import Paths, resolve_paths


@dataclass(frozen=True)
class Endpoint:
    url: str
    token: str | None
    pid: int | None = None


def discover(paths: Paths | None = None) -> Endpoint:
    """The running daemon's URL and token; raises DaemonNotRunning when there is none."""
    paths = paths or resolve_paths()
    info = read_daemon_file(paths.daemon_file)
    if not info or not isinstance(info.get("url"), str):
        raise DaemonNotRunning(f"no {paths.daemon_file}")
    pid = info.get("pid")
    if isinstance(pid, int) and not _alive(pid):
        raise DaemonNotRunning(f"pid {pid} in {paths.daemon_file} is gone")
    return Endpoint(info["url"], read_token(paths), pid if isinstance(pid, int) else None)


def read_token(paths: Paths | None = None) -> str | None:
    paths = paths or resolve_paths()
    try:
        return paths.token_file.read_text().strip() or None
    except OSError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True
