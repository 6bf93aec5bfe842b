"""A job whose every delivery ended without a word (its nodes died or hung): failed, not lost.

A failed attempt is ended by the node itself (``worker``), but a job that
kills the node running it, ``max_deliver`` times, is never acked or termed:
JetStream stops delivering it and says so in an advisory. Every node hears
the advisory; the first to change the record (compare-and-set) fails the
job, unless a node that is alive still holds it, and the message leaves the
queue.
"""

from __future__ import annotations

import asyncio
import json
import logging

from nats.aio.msg import Msg

from idmd.fleet import record as rec
from idmd.fleet.ledger import Ledger
from idmd.fleet.link import NATS_ERRORS, Link
from idmd.fleet.nodes import TIMEOUT, Nodes

log = logging.getLogger(__name__)
LOOKS = 4  # times a node looks at a job whose owner still seemed alive


class Poison:
    def __init__(self, link: Link, ledger: Ledger, nodes: Nodes) -> None:
        self._link = link
        self._ledger = ledger
        self._nodes = nodes

    @property
    def subject(self) -> str:
        names = self._link.names
        return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{names.stream}.{names.consumer}"

    async def subscribe(self) -> None:
        assert self._link.nc is not None
        await self._link.nc.subscribe(self.subject, cb=self._advised)

    async def _advised(self, msg: Msg) -> None:
        try:
            advisory = json.loads(msg.data)
            seq, deliveries = int(advisory["stream_seq"]), int(advisory.get("deliveries") or 0)
        except (ValueError, KeyError, TypeError):
            return
        for _ in range(LOOKS):
            try:
                if await self.give_up(seq, deliveries):
                    return
            except NATS_ERRORS as exc:  # another node hears the same advisory
                log.info("fleet: cannot fail the job at stream sequence %s: %s", seq, exc)
                return
            # Its owner still counts as alive: the advisory can come a moment before the
            # owner's last heartbeat is old enough. Look again once it would be.
            await asyncio.sleep(TIMEOUT)

    async def give_up(self, seq: int, deliveries: int) -> bool:
        """Fail the job at ``seq``; False while a node that is alive holds it (look again later)."""
        js = self._link.js
        assert js is not None
        try:
            stored = await js.get_msg(self._link.names.stream, seq)
        except NATS_ERRORS:
            return True  # gone already: another node did it, or the job was acked after all
        job_id = (stored.data or b"").decode(errors="replace")
        error = {
            "code": "fleet",
            "message": f"given up after {deliveries} deliveries: each node that took "
            "it stopped or died before it ended",
        }

        def fail(record: rec.Record) -> rec.Record | None:
            owner = record.get("owner")
            if record.get("status") in rec.ENDED or (owner and self._nodes.alive(str(owner))):
                return None
            return {**record, "status": "failed", "error": error}

        failed = await self._ledger.change(job_id, fail)
        found = await self._ledger.read(job_id)
        if failed is None and found is not None and found[0].get("status") not in rec.ENDED:
            return False
        await js.delete_msg(self._link.names.stream, seq)
        if failed is not None:
            log.warning("fleet: job %s failed: %s", job_id, error["message"])
        return True
