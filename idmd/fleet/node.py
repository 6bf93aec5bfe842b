"""``Fleet``: this daemon as one node of a fleet, the object ``idmd.app`` starts and stops.

It is the engine's ``Handover`` (new jobs go to the fleet's queue; jobs taken
from the fleet are not resumed from this node's own history, the fleet's
record has them) and wires the parts: the link to NATS, the records, the
outbox of new jobs, this node's worker, the heartbeats and the event relay.
``info()`` is what ``daemon.info`` shows.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any

from idmd.config import Config
from idmd.engine.jobs import Job
from idmd.fleet.control import Control
from idmd.fleet.ledger import Ledger
from idmd.fleet.link import Link
from idmd.fleet.names import FleetNames
from idmd.fleet.nodes import Nodes
from idmd.fleet.outbox import Outbox
from idmd.fleet.poison import Poison
from idmd.fleet.relay import Relay
from idmd.fleet.sweep import Sweep
from idmd.fleet.tap import CheckpointTap
from idmd.fleet.worker import MARK, Worker
from idmd.protocol.models import Job as JobDict
from idmd.protocol.models import JobOptions

if TYPE_CHECKING:
    from idmd.engine import Engine

log = logging.getLogger(__name__)


def node_name(config: Config) -> str:
    """``[fleet] node``, or this host's name (made safe for a NATS subject)."""
    if config.fleet_node:
        return config.fleet_node
    host = socket.gethostname().split(".")[0]
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in host)[:32] or "node"


class Fleet:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.node = node_name(config)
        self.names = FleetNames(config.fleet_name)
        self.link = Link(config, self.names, self.node, self._ready)
        self.ledger = Ledger(self.link)
        self._engine: Engine | None = None
        self._worker: Worker | None = None
        self._outbox: Outbox | None = None
        self._relay: Relay | None = None
        self._nodes: Nodes | None = None
        self._control: Control | None = None
        self._poison: Poison | None = None
        self._sweep: Sweep | None = None
        self._subscribed = False

    def tap(self, store: Any) -> CheckpointTap:
        """The store the engine is given: checkpoints also reach the fleet's records."""
        return CheckpointTap(store, self._on_checkpoint)

    def _on_checkpoint(
        self, job_id: str, done: int, segments: list[list[int]], state: dict[str, Any]
    ) -> None:
        if self._worker is not None:
            self._worker.on_checkpoint(job_id, done, segments, state)

    # -- Handover ---------------------------------------------------------------------------------
    def take(self, job: Job) -> bool:
        return self._outbox is not None and self._outbox.take(job)

    def owns(self, job: Job) -> bool:
        return MARK in job.state

    async def control(self, action: str, job_id: str, patch: JobOptions | None) -> JobDict:
        assert self._control is not None
        return await self._control.call(action, job_id, patch)

    async def fence(self, job: Job) -> None:
        if self._worker is not None and MARK in job.state:
            await self._worker.fence(job.id)

    # -- lifecycle --------------------------------------------------------------------------------
    def attach(self, engine: Engine) -> None:
        """Before ``engine.start``: the engine hands new jobs over, and skips the fleet's own."""
        self._engine = engine
        engine.bus.node = self.node
        engine.handover = self
        self._outbox = Outbox(self.link, self.ledger, engine)
        self._nodes = Nodes(self.link, self._status)
        self._sweep = Sweep(
            self.link,
            self.ledger,
            lambda: engine.config.fleet_keep_ended,
            lambda: engine.config.fleet_keep_ended_days,
        )
        self._worker = Worker(self.link, self.ledger, self._nodes, engine, self._sweep.wake)
        self._relay = Relay(self.link, engine.bus)
        self._control = Control(self.link, self.ledger, engine)
        self._poison = Poison(self.link, self.ledger, self._nodes)

    def start(self) -> None:
        assert self._outbox and self._nodes and self._worker and self._relay and self._sweep
        self.link.start()
        self._outbox.start()
        self._nodes.start()
        self._worker.start()
        self._relay.start()
        self._sweep.start()

    async def stop(self) -> None:
        """After ``engine.stop``: held jobs go back to the fleet with their checkpoints."""
        assert self._outbox and self._nodes and self._worker and self._relay and self._sweep
        await self._sweep.stop()
        await self._relay.stop()
        await self._outbox.stop()
        await self._worker.stop()
        if self.link.connected.is_set():
            await self._nodes.stop()  # "leaving": the others stop counting this node at once
        await self.link.close()

    async def _ready(self) -> None:
        """Connected (first time or again): subscriptions once, jobs added meanwhile handed over."""
        assert self._outbox and self._nodes and self._relay and self._control and self._poison
        if not self._subscribed:
            self._subscribed = True
            await self._nodes.subscribe()
            await self._relay.subscribe()
            await self._control.subscribe()
            await self._poison.subscribe()
        self._outbox.hand_over_later_jobs()

    def _status(self) -> dict[str, Any]:
        return self._engine.load() if self._engine is not None else {}

    def summary(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "reachable": self.link.connected.is_set(),
            "nodes": self._nodes.listing() if self._nodes is not None else [],
        }

    def info(self) -> dict[str, Any]:
        """``daemon.info``'s ``fleet``: where, who, whether reachable, and every node heard of."""
        return {
            "name": self.names.fleet,
            "url": self.config.fleet_url,
            **self.summary(),
            "error": self.link.error or None,
            "held": sorted(self._worker.held) if self._worker is not None else [],
        }
