"""What the TUI needs of a daemon connection, and how it gets one.

``ClientLike`` is the slice of ``idmd.client.Client`` the TUI uses, so the
snapshot tests can hand the app a fake with fixed data. ``connect_factory``
builds the real one from ``--url``/``--token`` or daemon.json, starting
``idmd --detach`` first when none answers (unless told not to).

``idmd.client`` is imported only when connecting, after the first frame is
on screen: it is not needed to draw it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from idmd.client import ConnectionStatus

StateCallback = Callable[["ConnectionStatus"], None]
Say = Callable[[str], None]


class ClientLike(Protocol):
    status: ConnectionStatus

    async def call(self, method: str, params: Any = None) -> Any: ...

    def subscribe(self, since: int | None = None) -> AsyncIterator[dict[str, Any]]: ...

    def add_state_listener(self, callback: StateCallback) -> Callable[[], None]: ...

    async def close(self) -> None: ...


ClientFactory = Callable[[Say], Awaitable[ClientLike]]
DaemonStarter = Callable[[], Awaitable[tuple[bool, str]]]


class DaemonMissing(Exception):
    """No daemon answers and none may be started (``--no-autostart``)."""


async def start_daemon() -> tuple[bool, str]:
    """``idmd --detach``; returns (started, what it said)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "idmd",
        "--detach",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    text = (out or err).decode(errors="replace").strip()
    return proc.returncode == 0, text


def connect_factory(
    url: str | None = None, token: str | None = None, autostart: bool = True
) -> ClientFactory:
    """A factory that connects as ``idm-tui``; ``say`` reports what it did (started idmd)."""

    async def connect(say: Say) -> ClientLike:
        # In a thread: the import is heavy and the UI keeps drawing meanwhile.
        client_module = await asyncio.to_thread(__import__, "idmd.client", fromlist=["Client"])
        from idm_tui import __version__

        Client, DaemonNotRunning = client_module.Client, client_module.DaemonNotRunning
        try:
            return await Client.connect(
                url, token, client_name="idm-tui", client_version=__version__
            )
        except DaemonNotRunning:
            if url is not None:
                raise
            if not autostart:
                raise DaemonMissing(
                    "idmd is not running (--no-autostart): start it with `idmd --detach`"
                ) from None
        say("idmd is not running; starting it in the background…")
        started, said = await start_daemon()
        if not started:
            raise DaemonMissing(f"could not start idmd: {said}")
        say(said or "started idmd in the background")
        return await Client.connect(url, token, client_name="idm-tui", client_version=__version__)

    return connect
