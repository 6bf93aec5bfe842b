"""What every aria2 call shares: the daemon's RPC state (tokens, engine, config),
the GID mapping, and the idm namespaces that do the work, so a job added
through ``/jsonrpc`` passes the same checks as one added through ``/rpc``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from idmd.aria2.errors import Aria2Error
from idmd.aria2.gid import Gids
from idmd.aria2.tracker import Tracker
from idmd.protocol.errors import NoSuchJob, RpcError
from idmd.protocol.models import Job
from idmd.rpc.config import Config as ConfigNamespace
from idmd.rpc.daemon import Daemon as DaemonNamespace
from idmd.rpc.jobs import Jobs as JobsNamespace
from idmd.rpc.peer import Peer, RpcState

if TYPE_CHECKING:
    from idmd.engine import Engine


@dataclass
class Face:
    state: RpcState
    tracker: Tracker
    gids: Gids = field(default_factory=Gids)

    @property
    def engine(self) -> Engine:
        engine = self.state.ctx.engine
        if engine is None:
            raise Aria2Error("idmd is starting or stopping")
        return engine

    @property
    def default_dir(self) -> str:
        return str(self.state.ctx.download_dir)

    def caller(self, client_id: str | None, remote: str) -> Peer:
        """The identity of one authorised call, as idm's namespaces expect it."""
        peer = Peer(self.state, remote=remote)
        peer.authenticated = True
        peer.client_id = client_id
        return peer

    def jobs(self, peer: Peer) -> JobsNamespace:
        return JobsNamespace(self.state, peer)

    def config(self, peer: Peer) -> ConfigNamespace:
        return ConfigNamespace(self.state, peer)

    def daemon(self, peer: Peer) -> DaemonNamespace:
        return DaemonNamespace(self.state, peer)

    def job_id(self, gid: str) -> str:
        job_id = self.gids.job_id(gid)
        if job_id is None:
            raise Aria2Error(f"GID {gid} is not found")
        return job_id

    async def job(self, gid: str) -> Job:
        """The job a GID stands for, from memory or the history."""
        try:
            return await self.engine.fetch(self.job_id(gid))
        except NoSuchJob:
            raise Aria2Error(f"GID {gid} is not found") from None

    def translate(self, exc: RpcError) -> Aria2Error:
        """An idm error as aria2 reports every failure: code 1 and the message, a
        missing job named by its GID."""
        data = exc.data if isinstance(exc.data, dict) else {}
        if isinstance(exc, NoSuchJob) and isinstance(data.get("id"), str):
            return Aria2Error(f"GID {self.gids.gid(data['id'])} is not found")
        return Aria2Error(exc.detail)
