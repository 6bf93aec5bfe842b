"""One daemon per IDM_HOME: the lock, the token and ``daemon.json``."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from pathlib import Path
from typing import IO, Any


class AlreadyRunning(RuntimeError):
    def __init__(self, pid: int | None) -> None:
        super().__init__(
            f"idmd is already running (pid {pid})" if pid else "idmd is already running"
        )
        self.pid = pid


def acquire_lock(lock_file: Path, daemon_file: Path) -> IO[str]:
    """Hold an exclusive lock for the life of the process; raise AlreadyRunning if taken."""
    handle = open(lock_file, "a+")  # noqa: SIM115 - kept open while the daemon runs
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        info = read_daemon_file(daemon_file)
        raise AlreadyRunning(info.get("pid") if info else None) from None
    return handle


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def load_or_create_token(token_file: Path) -> str:
    if token_file.exists():
        token = token_file.read_text().strip()
        if len(token) == 64:
            os.chmod(token_file, 0o600)
            return token
    token = secrets.token_hex(32)
    write_private(token_file, token + "\n")
    return token


def read_daemon_file(daemon_file: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(daemon_file.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_daemon_file(daemon_file: Path, info: dict[str, Any]) -> None:
    write_private(daemon_file, json.dumps(info, indent=2) + "\n")
