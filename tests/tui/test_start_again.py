"""`s` after the daemon died: the status line never says "connected" while the TUI holds
no connection (the old connection may find the new daemon by itself while it starts)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from idm_tui.app import IdmApp
from idmd.client.state import ConnectionStatus, State
from tests.tui.fake_client import FakeClient
from tests.tui.helpers import wait_until


class ListenedClient(FakeClient):
    """A FakeClient whose connection state the test changes."""

    def __init__(self) -> None:
        super().__init__()
        self.listeners: list[Callable[[ConnectionStatus], None]] = []

    def add_state_listener(
        self, callback: Callable[[ConnectionStatus], None]
    ) -> Callable[[], None]:
        self.listeners.append(callback)
        return lambda: self.listeners.remove(callback) if callback in self.listeners else None

    def become(self, state: State) -> None:
        self.status = ConnectionStatus(state)
        for callback in list(self.listeners):
            callback(self.status)


async def test_a_connection_that_came_back_while_idmd_started_is_kept() -> None:
    first = ListenedClient()
    made: list[ListenedClient] = []
    never = asyncio.Event()  # a second connection would wait here: none is needed

    async def factory(say: Any) -> ListenedClient:
        if made:
            await never.wait()
        made.append(first)
        return first

    async def starter() -> tuple[bool, str]:
        first.become(State.CONNECTED)  # the old connection reached the new daemon meanwhile
        return True, "started idmd"

    app = IdmApp(factory, use_clipboard=False, daemon_starter=starter)
    async with app.run_test(size=(100, 30)) as pilot:
        status = app.main_screen.status
        await wait_until(pilot, lambda: status.state == "connected", what="connected")
        first.become(State.RECONNECTING)
        await wait_until(pilot, lambda: status.state == "reconnecting", what="the daemon gone")
        await pilot.press("s")
        await wait_until(pilot, lambda: status.note == "started idmd", what="idmd started")
        await pilot.pause()
        assert status.state == "connected"
        assert app.client is first
        assert await app.client.call("config.get") == {"speed_limit": 0}
