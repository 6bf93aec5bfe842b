"""``idm add --wait`` and ``idm watch`` go on across a crash and restart of idmd, and say so:
a progress line that stops moving while idmd is gone is explained, once, on stderr."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from idmd.cli.notices import ConnectionNotices
from idmd.client import Client
from idmd.client.state import ConnectionStatus, State
from tests.cli.conftest import PAYLOAD, ROOT, Files
from tests.daemon_process import DaemonProcess


async def test_add_wait_says_when_idmd_is_lost_and_back_and_still_finishes(
    daemon: DaemonProcess, files: Files
) -> None:
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "idmd.cli.main", "add", "--wait", files.url("/slow.bin")),
        cwd=ROOT,
        env=dict(os.environ, IDM_HOME=str(daemon.home)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        job_id = (await asyncio.wait_for(proc.stdout.readline(), 30)).split()[0].decode()
        client = await Client.connect(daemon.url, daemon.token, reconnect=False)
        async with asyncio.timeout(30):  # held at the server's gate, half of it in
            while (await client.call("jobs.get", {"id": job_id}))["done"] < len(PAYLOAD) // 2:
                await asyncio.sleep(0.05)
        await client.close()

        daemon.kill()
        daemon.start()
        files.gate.set()
        try:
            out, err = await asyncio.wait_for(proc.communicate(), 60)
        except TimeoutError:
            proc.kill()
            out, err = await proc.communicate()
            raise AssertionError(
                f"idm add --wait did not end.\nstdout: {out.decode()}\nstderr: {err.decode()}"
                f"\nidmd: {daemon.stderr()[-3000:]}"
            ) from None
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()
    said = err.decode()
    assert said.count("idm: lost the connection to idmd") == 1, said
    assert said.index("lost the connection") < said.index("idm: connected to idmd again"), said
    assert f"{job_id} completed" in out.decode()
    client = await Client.connect(daemon.url, daemon.token, reconnect=False)
    done = await client.call("jobs.get", {"id": job_id})
    await client.close()
    # Where the file system keeps no extended attributes, a kill before the job's first
    # state reached the history leaves a part file not known to be its own: "slow (1).bin".
    assert Path(done["path"]).parent == daemon.download_dir, sorted(daemon.download_dir.iterdir())
    assert Path(done["path"]).read_bytes() == PAYLOAD


def test_a_loss_is_told_once_however_many_attempts_it_takes() -> None:
    lines: list[str] = []
    printed: list[int] = []

    class Lines:
        def write(self, text: str) -> None:
            lines.extend(part for part in text.splitlines() if part)

        def flush(self) -> None:
            pass

    notices = ConnectionNotices(Lines(), printed=lambda: printed.append(1))  # type: ignore[arg-type]
    notices(ConnectionStatus(State.CONNECTED))  # the first connection: nothing to say
    for attempt in (1, 2, 3):
        notices(ConnectionStatus(State.RECONNECTING, 1.0, 0.0, attempt, "connection lost"))
    notices(ConnectionStatus(State.CONNECTED))
    notices(ConnectionStatus(State.RECONNECTING, 1.0, 0.0, 1, None))

    assert lines == [
        "idm: lost the connection to idmd (connection lost); reconnecting…",
        "idm: connected to idmd again",
        "idm: lost the connection to idmd; reconnecting…",
    ]
    assert len(printed) == 3  # a progress block is drawn below each line, not over it
