"""What a command that follows events (``idm watch``, ``idm add --wait``) says when its
connection to idmd is lost and when it is back: once per loss, not once per attempt, so a
user looking at a progress line that stopped moving knows why."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from idmd.client.state import ConnectionStatus, State


class ConnectionNotices:
    """A ``Client`` state listener; ``printed()`` runs after each line (a progress block
    redrawn in place must not draw over it)."""

    def __init__(self, out: TextIO = sys.stderr, printed: Callable[[], None] | None = None):
        self._out = out
        self._printed = printed
        self._lost = False

    def __call__(self, status: ConnectionStatus) -> None:
        if status.state is State.RECONNECTING and not self._lost:
            self._lost = True
            reason = f" ({status.error})" if status.error else ""
            self._say(f"idm: lost the connection to idmd{reason}; reconnecting…")
        elif status.state is State.CONNECTED and self._lost:
            self._lost = False
            self._say("idm: connected to idmd again")

    def _say(self, line: str) -> None:
        print(line, file=self._out, flush=True)
        if self._printed is not None:
            self._printed()
