"""The client's connection state, observable by UIs (the TUI's indicator)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

# Seconds to wait before each reconnection attempt; the last one repeats.
BACKOFF: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 10.0)


class State(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # waiting ``retry_in`` seconds, then trying again
    DISCONNECTED = "disconnected"  # closed by the caller, or lost with reconnect=False


@dataclass(frozen=True)
class ConnectionStatus:
    state: State
    retry_in: float | None = None  # seconds until the next attempt (RECONNECTING only)
    retry_at: float | None = None  # the same moment on the event loop's clock (loop.time())
    attempt: int = 0  # 1 for the first reconnection attempt after a loss
    error: str | None = None  # why the last connection ended or the last attempt failed


StateCallback = Callable[[ConnectionStatus], None]


def backoff_delay(attempt: int) -> float:
    """The wait before attempt number ``attempt`` (1-based): 1, 2, 4, 8, 10, 10, … s."""
    return BACKOFF[min(max(attempt, 1), len(BACKOFF)) - 1]
