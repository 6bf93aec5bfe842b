from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.rpc.toy import ToyDaemon, start_toy_daemon


@pytest.fixture
async def toy(tmp_path: Path) -> AsyncIterator[ToyDaemon]:
    daemon = await start_toy_daemon(tmp_path / "home")
    yield daemon
    await daemon.server.close()
