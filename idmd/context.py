"""The daemon's one application object: what every part of the daemon shares.

Created by ``idmd.daemon`` and stored on the aiohttp app under ``DAEMON``;
the RPC namespaces reach the engine, the config and the bus through it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from idmd.config import Config, build_config, read_toml
from idmd.events import EventBus
from idmd.paths import Paths
from idmd.protocol.events import EventType
from idmd.runtime_config import edited_keys, runtime_file, write_runtime

if TYPE_CHECKING:
    from idmd.engine import Engine
    from idmd.engine.schedule_runner import ScheduleRunner
    from idmd.store import Store

# Keys that a restart is needed for; the rest apply at once.
RESTART_KEYS = frozenset(
    {
        "host",
        "port",
        "event_retention",
        "fleet_url",
        "fleet_name",
        "fleet_node",
        "fleet_credentials",
        "fleet_tls_ca",
        "fleet_tls_cert",
        "fleet_tls_key",
        "fleet_ack_wait",
        "fleet_max_deliver",
    }
)


@dataclass
class DaemonContext:
    config: Config
    paths: Paths
    token: str
    bus: EventBus
    overrides: dict[str, Any] = field(default_factory=dict)
    # config.toml as last read, and the keys changed at run time (kept in runtime.toml).
    file_values: dict[str, Any] = field(default_factory=dict)
    runtime: dict[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    port: int = 0
    engine: Engine | None = None
    store: Store | None = None
    fleet: Any = None  # idmd.fleet.node.Fleet when [fleet] url is set (nats imported only then)
    schedule: ScheduleRunner | None = None  # named queues and speed windows (schedule.json)
    clock: Callable[[], datetime] | None = (
        None  # the schedule's wall clock (tests set it); None: the real one
    )
    # Set to ask the daemon to stop gracefully (signals, daemon.shutdown).
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def download_dir(self) -> Path:
        return (
            Path(self.config.download_dir).expanduser()
            if self.config.download_dir
            else self.paths.downloads
        )

    def apply_config(self, new: Config) -> list[str]:
        """Switch to ``new``; returns the changed keys that need a restart."""
        old = self.config
        changed = [k for k, v in new.to_dict().items() if old.to_dict()[k] != v]
        if not changed:
            return []
        self.config = new
        if self.engine is not None:
            self.engine.apply_config(new)
            if "download_dir" in changed:
                self.engine.set_download_dir(self.download_dir)
        self.bus.emit(EventType.CONFIG_CHANGED, None, {k: new.public()[k] for k in changed})
        return [k for k in changed if k in RESTART_KEYS]

    def patch_config(self, patch: dict[str, Any]) -> list[str]:
        """``config.set``: apply at once and keep the change across reloads and restarts.

        Raises ConfigError (nothing changed) for a bad key or value.
        """
        new = self.config.patched(patch)
        restart = self.apply_config(new)
        values = new.to_dict()
        self.runtime.update({key: values[key] for key in patch})
        write_runtime(runtime_file(self.paths.config_file), self.runtime)
        return restart

    def reload_config(self) -> list[str]:
        """Read config.toml again (SIGHUP): run-time changes stay unless the file changed
        the same key since it was last read; command-line overrides still win."""
        file_values = read_toml(self.paths.config_file)
        edited = edited_keys(self.file_values, file_values)
        runtime = {k: v for k, v in self.runtime.items() if k not in edited}
        new = build_config(file_values, runtime, self.overrides)  # ConfigError: nothing changes
        self.file_values = file_values
        if runtime != self.runtime:
            self.runtime = runtime
            write_runtime(runtime_file(self.paths.config_file), runtime)
        return self.apply_config(new)


DAEMON = web.AppKey("daemon", DaemonContext)
