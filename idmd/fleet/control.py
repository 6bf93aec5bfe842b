"""Pause, resume, cancel, limit, get, retry or remove a job that another node of the fleet has.

A client may ask any node; a node that does not hold the job asks the fleet's
record who does and sends the request to that node's control subject
(request/reply). The holder acts as if its own client had asked and answers
with the Job or the error, which reaches the client unchanged. Pause, resume,
cancel and limit go to the node running the job; get, retry and remove go to
the record's owner whatever the job's status (it has the job in its history).
A job still waiting in the fleet's queue is read, cancelled or removed in its
record (the node that later gets its message drops it); so is a job whose
owner does not answer, for get and remove.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from nats.aio.msg import Msg

from idmd.engine.manager import REMOVE
from idmd.fleet import record as rec
from idmd.fleet.ledger import Ledger
from idmd.fleet.link import NATS_ERRORS, Link
from idmd.protocol.errors import NoSuchJob, NotAllowed, RpcError, error_from_dict
from idmd.protocol.events import EventType
from idmd.protocol.models import Job as JobDict
from idmd.protocol.models import JobOptions

if TYPE_CHECKING:
    from idmd.engine import Engine

log = logging.getLogger(__name__)
HISTORY = frozenset({"get", "retry", *REMOVE.values()})  # the owner has it, ended or not
ACTIONS = frozenset({"pause", "resume", "cancel", "update", *HISTORY})
TIMEOUT = 10.0  # seconds a node has to answer (a pause waits for the run to stop)


class Control:
    def __init__(self, link: Link, ledger: Ledger, engine: Engine) -> None:
        self._link = link
        self._ledger = ledger
        self._engine = engine

    async def subscribe(self) -> None:
        assert self._link.nc is not None
        await self._link.nc.subscribe(self._link.names.control(self._link.node), cb=self._serve)

    async def call(self, action: str, job_id: str, patch: JobOptions | None) -> JobDict:
        link = self._link
        if not link.connected.is_set() or link.nc is None:
            raise NoSuchJob(
                f"no job {job_id!r} here, and the fleet is unreachable", data={"id": job_id}
            )
        try:
            found = await self._ledger.read(job_id)
        except NATS_ERRORS as exc:
            raise NoSuchJob(
                f"no job {job_id!r} here; the fleet did not answer: {exc}", data={"id": job_id}
            ) from None
        if found is None:
            raise NoSuchJob(f"no job {job_id!r}", data={"id": job_id})
        record, _ = found
        owner = record.get("owner")
        if owner and (record.get("status") == rec.DOWNLOADING or action in HISTORY):
            try:
                return await self._ask(str(owner), {"action": action, "id": job_id, "patch": patch})
            except Unanswered:
                if action not in ("get", *REMOVE.values()):
                    raise  # the record cannot do it for the owner
        if action == "get":
            return _job(record)
        if action in REMOVE.values():
            await self._ledger.purge(job_id)
            self._engine.bus.emit(
                EventType.JOB_REMOVED, job_id, {"deleted_files": action == REMOVE[True]}
            )
            return _job(record)
        if action == "cancel":
            cancelled = await self._ledger.change(job_id, rec.cancel)
            if cancelled is None:
                raise NotAllowed(
                    f"a {record.get('status')} job cannot be cancelled", data={"id": job_id}
                )
            self._engine.bus.emit(
                EventType.JOB_STATUS, job_id, {"status": "cancelled", "error": None}
            )
            return _job(cancelled)
        raise NotAllowed(
            f"job {job_id} is {record.get('status')} in the fleet: no node has it to "
            f"{action} it now",
            data={"id": job_id, "status": record.get("status")},
        )

    async def _ask(self, node: str, request: dict[str, Any]) -> JobDict:
        assert self._link.nc is not None
        try:
            reply = await self._link.nc.request(
                self._link.names.control(node), json.dumps(request).encode(), timeout=TIMEOUT
            )
            answer = json.loads(reply.data)
        except NATS_ERRORS as exc:
            raise Unanswered(
                f"node {node}, which has job {request['id']}, did not answer: {type(exc).__name__}",
                data={"id": request["id"], "node": node},
            ) from None
        if "error" in answer:
            raise error_from_dict(answer["error"])
        result: JobDict = answer["result"]
        return result

    async def _serve(self, msg: Msg) -> None:
        try:
            request = json.loads(msg.data)
            action, job_id = str(request["action"]), str(request["id"])
            if action not in ACTIONS:
                raise NotAllowed(f"no action {action!r}")
            result = await self._engine.act_here(action, job_id, request.get("patch"))
            answer: dict[str, Any] = {"result": result}
        except RpcError as exc:
            answer = {"error": exc.to_dict()}
        except (ValueError, KeyError, TypeError) as exc:
            answer = {"error": NotAllowed(f"a bad request from the fleet: {exc}").to_dict()}
        try:
            await msg.respond(json.dumps(answer).encode())
        except NATS_ERRORS as exc:
            log.info("fleet: cannot answer a control request: %s", exc)


class Unanswered(NotAllowed):
    """The node that has the job did not answer (it died, or the fleet is away)."""


def _job(record: rec.Record) -> JobDict:
    """A Job dict from a record (for a job no node runs)."""
    fields = {key: record.get(key) for key in rec.JOB_FIELDS}
    job: JobDict = {
        **fields,  # type: ignore[typeddict-item]
        "status": record["status"],
        "speed": 0,
        "eta": None,
        "connections": 0,
        "segments": [],
        "error": record.get("error"),
        "started_at": None,
        "finished_at": None,
        "media": None,
    }
    return job
