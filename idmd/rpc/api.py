"""The API's namespaces, mounted by name: ``jobs.add`` is ``Jobs.add``."""

from __future__ import annotations

from idmd.rpc import config, credentials, daemon, events, jobs, pairing, queues, session
from idmd.rpc.dispatcher import Dispatcher
from idmd.rpc.peer import RpcState

NAMESPACES: dict[str, type] = {
    "session": session.Session,
    "pairing": pairing.Pairing,
    "daemon": daemon.Daemon,
    "config": config.Config,
    "jobs": jobs.Jobs,
    "events": events.Events,
    "credentials": credentials.Credentials,
    "queues": queues.Queues,
    "schedule": queues.Schedule,
}


def build_dispatcher(state: RpcState) -> Dispatcher:
    return Dispatcher(state, NAMESPACES)
