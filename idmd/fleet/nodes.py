"""The fleet's nodes: this node's heartbeat, and who else is alive.

Each node publishes a small status (active and queued jobs, speed) on its
subject every second; a node is alive while its heartbeats keep coming.
Plain subjects rather than the KV bucket: nothing here needs to outlive the
node, and core subscriptions come back by themselves after a reconnection.
Times are this node's clock only, so clocks that differ between machines do
not matter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from nats.aio.msg import Msg

from idmd.fleet.link import NATS_ERRORS, Link
from idmd.fleet.tasks import cancel_and_wait

log = logging.getLogger(__name__)
BEAT = 1.0  # seconds between heartbeats
TIMEOUT = 3.5  # a node not heard of for this long is taken for dead


class Nodes:
    def __init__(self, link: Link, status: Callable[[], dict[str, Any]]) -> None:
        self._link = link
        self._status = status
        self._seen: dict[str, float] = {}
        self._info: dict[str, dict[str, Any]] = {}
        self._started = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    async def subscribe(self) -> None:
        """(Re)subscribe once connected; nats-py keeps the subscription across reconnections."""
        assert self._link.nc is not None
        await self._link.nc.subscribe(self._link.names.nodes(), cb=self._heard)

    def start(self) -> None:
        self._task = asyncio.create_task(self._beat(), name="fleet-heartbeat")

    async def stop(self) -> None:
        await cancel_and_wait([self._task])
        await self._send({**self._status(), "leaving": True})

    async def _beat(self) -> None:
        while True:
            try:
                await self._send(self._status())
            except NATS_ERRORS as exc:  # a dropped heartbeat is retried at the next beat
                log.debug("fleet heartbeat: %s", exc)
            await asyncio.sleep(BEAT)

    async def _send(self, status: dict[str, Any]) -> None:
        link = self._link
        await link.publish(
            link.names.nodes(link.node), json.dumps({"node": link.node, **status}).encode()
        )

    async def _heard(self, msg: Msg) -> None:
        try:
            info = json.loads(msg.data)
            node = str(info["node"])
        except (ValueError, KeyError, TypeError):
            return
        if info.get("leaving"):
            self._seen.pop(node, None)
            self._info[node] = {**info, "alive": False}
            return
        self._seen[node] = time.monotonic()
        self._info[node] = info

    def alive(self, node: str) -> bool:
        """Whether ``node`` is alive; a node this one has not heard of yet counts as alive until
        this one has listened long enough to know."""
        if node == self._link.node:
            return True
        seen = self._seen.get(node)
        now = time.monotonic()
        if seen is None:
            return now - self._started < TIMEOUT
        return now - seen < TIMEOUT

    def listing(self) -> list[dict[str, Any]]:
        """Every node heard of: name, alive, active and queued jobs, speed (B/s)."""
        nodes = {self._link.node: {"node": self._link.node, **self._status()}, **self._info}
        return [
            {
                "node": name,
                "alive": self.alive(name) and not info.get("leaving"),
                "active": int(info.get("active") or 0),
                "queued": int(info.get("queued") or 0),
                "speed": int(info.get("speed") or 0),
            }
            for name, info in sorted(nodes.items())
        ]
