"""Events across the fleet: this node's own events out, every other node's in.

Each node publishes its job events on its subject; every node re-emits the
others' on its own bus with their ``node``, so a client attached to any node
sees every job of the fleet live. Stats, pairing and config events stay on
their node.
"""

from __future__ import annotations

import asyncio
import json
import logging

from nats.aio.msg import Msg

from idmd.events import EventBus
from idmd.fleet.link import NATS_ERRORS, Link
from idmd.fleet.tasks import cancel_and_wait
from idmd.protocol.events import Event, EventType

log = logging.getLogger(__name__)
RELAYED = frozenset(t for t in EventType if str(t).startswith("job."))
BACKLOG = 10_000  # events waiting to go out while the server is slow; beyond it the oldest go


class Relay:
    def __init__(self, link: Link, bus: EventBus) -> None:
        self._link = link
        self._bus = bus
        self._out: asyncio.Queue[bytes] = asyncio.Queue(BACKLOG)
        self._task: asyncio.Task[None] | None = None
        self._remove = bus.listen(self._local)

    async def subscribe(self) -> None:
        assert self._link.nc is not None
        await self._link.nc.subscribe(self._link.names.events(), cb=self._remote)

    def start(self) -> None:
        self._task = asyncio.create_task(self._send_loop(), name="fleet-relay")

    async def stop(self) -> None:
        self._remove()
        await cancel_and_wait([self._task])

    def _local(self, event: Event) -> None:
        if (
            event.type not in RELAYED
            or event.node != self._link.node
            or not self._link.connected.is_set()
        ):
            return
        if self._out.full():
            self._out.get_nowait()
        self._out.put_nowait(
            json.dumps(
                {"type": str(event.type), "job": event.job, "at": event.at, "data": event.data},
                separators=(",", ":"),
            ).encode()
        )

    async def _send_loop(self) -> None:
        subject = self._link.names.events(self._link.node)
        while True:
            payload = await self._out.get()
            try:
                await self._link.publish(subject, payload)
            except asyncio.CancelledError:
                raise
            except NATS_ERRORS as exc:
                log.debug("fleet relay: %s", exc)

    async def _remote(self, msg: Msg) -> None:
        node = msg.subject.rsplit(".", 1)[-1]
        if node == self._link.node:
            return
        try:
            event = json.loads(msg.data)
            kind = EventType(event["type"])
            job, at, data = event.get("job"), float(event["at"]), dict(event.get("data") or {})
        except (ValueError, KeyError, TypeError):
            return
        if kind in RELAYED and (job is None or isinstance(job, str)):
            self._bus.emit(kind, job, data, node=node, at=at)
