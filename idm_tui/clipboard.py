"""Reading the system clipboard for the add dialog, when the platform has a tool.

Optional by design: no tool, no display or a slow tool just means an empty
URL field. Only text that looks like one URL is offered.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from urllib.parse import urlsplit

_COMMANDS = (
    ("wl-paste", "--no-newline"),
    ("xclip", "-o", "-selection", "clipboard"),
    ("xsel", "--clipboard", "--output"),
    ("pbpaste",),
)


def looks_like_url(text: str | None) -> bool:
    if not text or len(text) > 8192 or any(c.isspace() for c in text.strip()):
        return False
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https", "ftp") and bool(parts.netloc)


def read_clipboard(timeout: float = 0.5) -> str | None:
    """The clipboard's text from the first tool that answers, else None."""
    for command in _COMMANDS:
        if command[0] == "pbpaste" and sys.platform != "darwin":
            continue
        path = shutil.which(command[0])
        if path is None:
            continue
        try:
            out = subprocess.run(
                [path, *command[1:]], capture_output=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout:
            return out.stdout.decode(errors="replace").strip()
    return None


def clipboard_url() -> str | None:
    text = read_clipboard()
    return text.strip() if text is not None and looks_like_url(text) else None
