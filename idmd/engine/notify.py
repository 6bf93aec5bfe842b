"""Desktop notifications for the ``notify`` after-action: ``notify-send`` (libnotify, which
speaks to whichever notification service the desktop runs) on Linux and the BSDs,
``osascript`` on macOS. No such program, or no service to show it: one clear line in the
job's log, never a failed job. A program rather than a D-Bus library: nothing to import
in the daemon, and a headless machine (no session bus) costs nothing until asked.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable

APP_NAME = "idm"
TIMEOUT = 30.0  # seconds: notify-send returns at once unless the service hangs


def _applescript_text(text: str) -> str:
    """``text`` as an AppleScript string literal (a server's file name cannot break out)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def command(
    title: str,
    body: str,
    platform: str = sys.platform,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str] | None:
    """The argv that shows the notification (no shell), or None when this system has no
    program for it."""
    if platform == "darwin":
        osascript = which("osascript")
        if osascript is None:
            return None
        script = (
            f"display notification {_applescript_text(body)} with title {_applescript_text(title)}"
        )
        return [osascript, "-e", script]
    program = which("notify-send")
    if program is None:
        return None
    # "--" ends the options: a file name that starts with "-" is text, not a flag.
    return [program, f"--app-name={APP_NAME}", "--", title, body]


def missing_program(platform: str = sys.platform) -> str:
    """What to install when ``command`` found nothing, for the job's log."""
    if platform == "darwin":
        return "osascript is not on PATH"
    return "notify-send is not installed (Debian and Ubuntu: libnotify-bin)"
