from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.cli.conftest import files
from tests.rpc.real import RealDaemon, start_real_daemon
from tests.rpc.toy import ToyDaemon, start_toy_daemon

__all__ = ["files", "real", "toy"]


@pytest.fixture
async def toy(tmp_path: Path) -> AsyncIterator[ToyDaemon]:
    daemon = await start_toy_daemon(tmp_path / "home")
    yield daemon
    await daemon.server.close()


@pytest.fixture
async def real(tmp_path: Path) -> AsyncIterator[RealDaemon]:
    daemon = await start_real_daemon(tmp_path / "home")
    yield daemon
    await daemon.close()
