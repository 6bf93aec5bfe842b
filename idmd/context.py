"""The daemon's one application object: what every part of the daemon shares.

Created by ``idmd.daemon`` and stored on the aiohttp app under ``DAEMON``;
the RPC namespaces reach the engine, the config and the bus through it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from idmd.config import Config, load_config
from idmd.events import EventBus
from idmd.paths import Paths
from idmd.protocol.events import EventType

if TYPE_CHECKING:
    from idmd.engine import Engine
    from idmd.store import Store

# Keys that a restart is needed for; the rest apply at once.
RESTART_KEYS = frozenset({"host", "port", "event_retention"})


@dataclass
class DaemonContext:
    config: Config
    paths: Paths
    token: str
    bus: EventBus
    overrides: dict[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    port: int = 0
    engine: Engine | None = None
    store: Store | None = None
    # Set to ask the daemon to stop gracefully (signals, daemon.shutdown).
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def download_dir(self) -> Path:
        return Path(self.config.download_dir).expanduser() if self.config.download_dir else self.paths.downloads

    def apply_config(self, new: Config) -> list[str]:
        """Switch to ``new``; returns the changed keys that need a restart."""
        old = self.config
        changed = [k for k, v in new.to_dict().items() if old.to_dict()[k] != v]
        if not changed:
            return []
        self.config = new
        if self.engine is not None:
            self.engine.apply_config(new)
        self.bus.emit(EventType.CONFIG_CHANGED, None, {k: new.to_dict()[k] for k in changed})
        return [k for k in changed if k in RESTART_KEYS]

    def reload_config(self) -> list[str]:
        """Read config.toml again (SIGHUP); command-line overrides still win."""
        return self.apply_config(load_config(self.paths.config_file, self.overrides))


DAEMON = web.AppKey("daemon", DaemonContext)
