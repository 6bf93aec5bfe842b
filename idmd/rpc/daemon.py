"""``daemon.*``: what runs where, live totals, and a graceful stop."""

from __future__ import annotations

import functools
import os
import shutil
import sys
import time
from typing import Any

from idmd import __version__
from idmd.rpc.namespace import Namespace


# Both are looked up once per daemon: on every call they cost milliseconds (a metadata scan,
# a PATH search), and a batch of daemon.info calls would hold the event loop for a minute.
@functools.cache
def _yt_dlp_version() -> str | None:
    # From the package metadata: importing yt_dlp in the daemon costs 0.2 s and 25 MB.
    # (importlib.metadata itself costs start-up 15 ms: imported at the first daemon.info.)
    import importlib.metadata

    try:
        return importlib.metadata.version("yt-dlp")
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache
def _ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


class Daemon(Namespace):
    def info(self) -> dict[str, Any]:
        """Version, pid, uptime, paths, the yt-dlp version and the ffmpeg path (or null)."""
        ctx = self._ctx
        paths = ctx.paths
        return {
            "version": __version__,
            "pid": os.getpid(),
            "python": sys.version.split()[0],
            "started_at": ctx.started_at,
            "uptime": round(time.time() - ctx.started_at, 3),
            "port": ctx.port,
            "paths": {
                "config": str(paths.config_file),
                "db": str(paths.db_file),
                "daemon_file": str(paths.daemon_file),
                "token": str(paths.token_file),
                "log": str(paths.log_file),
                "downloads": str(ctx.download_dir),
            },
            "yt_dlp": _yt_dlp_version(),
            "ffmpeg": _ffmpeg(),
            "fleet": ctx.fleet.info() if ctx.fleet is not None else None,
        }

    def stats(self) -> dict[str, Any]:
        """Active and queued jobs, the total speed (B/s) and totals."""
        return self._engine.stats()

    def shutdown(self) -> bool:
        """Stop gracefully: jobs checkpointed, parts kept, clients closed."""
        self._ctx.stop_requested.set()
        return True
