"""Settings a user changes stay changed: a limit set at run time survives a reload
and a restart, a new download folder in config.toml applies on SIGHUP, and a
second ``idmd --detach`` names the daemon that already runs.

Real ``idmd`` processes; a reload is observed through its ``config.changed`` event.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from idmd.client import Client
from tests.cli.conftest import PAYLOAD, ROOT, Files
from tests.daemon_process import DaemonProcess

LIMIT = 3 * 1024 * 1024


async def _next_of(
    stream: AsyncIterator[dict[str, Any]], kind: str, timeout: float = 15
) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        async for event in stream:
            if event.get("type") == kind:
                return event
    raise AssertionError(f"the stream ended before {kind}")


async def _reload(daemon: DaemonProcess, config_toml: str) -> dict[str, Any]:
    """Write config.toml, send SIGHUP and return the ``config.changed`` data it caused."""
    async with await Client.connect(daemon.url, daemon.token) as client:
        stream = client.subscribe(types=["config.changed"])
        await anext(stream)  # the snapshot: subscribed before the signal
        (daemon.home / "config.toml").write_text(config_toml)
        assert daemon.proc is not None
        daemon.proc.send_signal(signal.SIGHUP)
        event = await _next_of(stream, "config.changed")
        await stream.aclose()
        return dict(event["data"])


async def _config(daemon: DaemonProcess) -> dict[str, Any]:
    async with await Client.connect(daemon.url, daemon.token) as client:
        return dict(await client.call("config.get"))


async def test_a_limit_set_at_run_time_survives_a_reload_and_a_restart(
    daemon: DaemonProcess,
) -> None:
    async with await Client.connect(daemon.url, daemon.token) as client:
        await client.call("config.set", {"patch": {"speed_limit": LIMIT}})

    changed = await _reload(daemon, "max_active = 5\n")  # some other key, so the reload is seen
    assert changed == {"max_active": 5}
    assert (await _config(daemon))["speed_limit"] == LIMIT

    await asyncio.to_thread(daemon.stop)
    await asyncio.to_thread(daemon.start)
    assert (await _config(daemon))["speed_limit"] == LIMIT
    assert "speed_limit" in (daemon.home / "runtime.toml").read_text()

    # The user then edits the key in config.toml: the most recent change wins.
    changed = await _reload(daemon, "max_active = 5\nspeed_limit = 2000\n")
    assert changed == {"speed_limit": 2000}
    await asyncio.to_thread(daemon.stop)
    await asyncio.to_thread(daemon.start)
    assert (await _config(daemon))["speed_limit"] == 2000


async def test_a_new_download_folder_applies_on_sighup(
    daemon: DaemonProcess, files: Files, tmp_path: Path
) -> None:
    folder = tmp_path / "elsewhere"

    changed = await _reload(daemon, f'download_dir = "{folder}"\n')
    assert changed == {"download_dir": str(folder)}

    async with await Client.connect(daemon.url, daemon.token) as client:
        stream = client.subscribe(types=["job.status"])
        await anext(stream)
        job = await client.call("jobs.add", {"url": files.url("/file.bin"), "options": {}})
        async with asyncio.timeout(30):
            async for event in stream:
                if event["job"] == job["id"] and event["data"]["status"] in ("completed", "failed"):
                    assert event["data"]["status"] == "completed", event
                    break
        await stream.aclose()
    assert (folder / "file.bin").read_bytes() == PAYLOAD
    assert not (daemon.download_dir / "file.bin").exists()


def test_print_config_names_the_file_it_read_and_the_download_folder(
    idm_home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "my-downloads"
    (idm_home / "config.toml").write_text(f'download_dir = "{folder}"\n')
    env = dict(os.environ, IDM_HOME=str(idm_home))

    printed = subprocess.run(
        [sys.executable, "-m", "idmd", "--print-config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout

    assert f"# read from: {idm_home / 'config.toml'}\n" in printed
    assert f"# downloads go to: {folder}\n" in printed
    assert f'download_dir = "{folder}"' in printed
