from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon_process import DaemonProcess


@pytest.fixture
def idm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "idm-home"
    home.mkdir()
    monkeypatch.setenv("IDM_HOME", str(home))
    return home


@pytest.fixture
def daemon(idm_home: Path) -> Iterator[DaemonProcess]:
    """A real idmd on a free loopback port, with its own IDM_HOME."""
    process = DaemonProcess(idm_home).start()
    yield process
    if process.proc is not None and process.proc.poll() is None:
        process.stop()


def require_tool(name: str) -> str:
    """The tool's path, or skip the test saying what is missing (CI installs it)."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (CI installs it)")
    return path
