"""aria2.js (npm ``aria2``) from Node's test runner against a real idmd: the
JavaScript client that aria2 browser extensions use. The Node side is in
tests/aria2js/ (its own package.json and lockfile, installed with ``npm ci``)."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from tests.aria2.conftest import Files
from tests.daemon_process import DaemonProcess

FOLDER = Path(__file__).resolve().parents[1] / "aria2js"


async def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=FOLDER,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace")


async def test_aria2js_over_websocket(idmd: DaemonProcess, files: Files) -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed (CI installs them)")
    if not (FOLDER / "node_modules" / "aria2").is_dir():
        code, out = await run(npm, "ci", "--no-audit", "--no-fund")
        assert code == 0, out
    env = dict(
        os.environ,
        IDM_ARIA2_PORT=str(idmd.port),
        IDM_TOKEN=idmd.token,
        IDM_FILE_URL=files.url("two.bin"),
        IDM_FILE_SIZE=str(len(files.data["two.bin"])),
    )
    code, out = await run(node, "--test", "aria2js.test.mjs", env=env)
    assert code == 0, out
    assert "# pass 2" in out and "# skipped 0" in out, out
    assert (idmd.download_dir / "from-aria2js.bin").read_bytes() == files.data["two.bin"]
