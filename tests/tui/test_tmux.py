"""``idm-tui`` in a real terminal (tmux): it starts, attaches to the daemon,
shows the jobs, quits on ``q`` and leaves the daemon running; with no daemon
it starts one in the background and says so."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from idmd.client import Client
from tests.conftest import require_tool
from tests.daemon_process import DaemonProcess
from tests.tui.tmux import Tmux, env_for, tui_command


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    session = Tmux(require_tool("tmux"))
    yield session
    session.kill()


async def test_idm_tui_shows_the_daemons_jobs_and_quits_leaving_it_running(
    daemon: DaemonProcess, tmux: Tmux
) -> None:
    client = await Client.connect(daemon.url, daemon.token)
    try:
        # Paused: a state that stays put on screen.
        job = await client.call(
            "jobs.add",
            {
                "url": "http://127.0.0.1:9/nothing-here.iso",
                "options": {"filename": "tmux-check.iso", "start": "paused"},
            },
        )
    finally:
        await client.close()
    tmux.start(tui_command("--no-autostart"), env_for(daemon.home))
    screen = tmux.wait_for("connected")
    screen = tmux.wait_for("tmux-check.iso")
    assert "paused" in screen
    assert "Add" in screen and "Quit" in screen  # the key footer
    assert job["id"]
    tmux.run("send-keys", "-t", "0", "q")
    deadline = time.monotonic() + 10
    while not tmux.pane_dead():
        assert time.monotonic() < deadline, f"idm-tui did not quit:\n{tmux.screen()}"
        await asyncio.sleep(0.1)  # polling the pane's state, bounded above
    assert daemon.proc is not None and daemon.proc.poll() is None  # the daemon keeps running


def test_idm_tui_starts_a_daemon_when_none_answers_and_says_so(idm_home: Path, tmux: Tmux) -> None:
    (idm_home / "config.toml").write_text("port = 0\n")  # never the default port in tests
    tmux.start(tui_command(), env_for(idm_home))
    try:
        tmux.wait_for("connected", timeout=30)
        screen = tmux.wait_for("idmd started")
        assert "idmd started" in screen
    finally:
        info = DaemonProcess(idm_home)
        if (idm_home / "daemon.json").exists():
            os.kill(int(info.info["pid"]), signal.SIGTERM)  # the daemon this test started
