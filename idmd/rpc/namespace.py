"""The base of every RPC namespace: built per call with the shared state and the
calling connection; public methods are the API, helpers start with ``_``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from idmd.protocol.errors import NotAllowed
from idmd.rpc.peer import Peer, RpcState

if TYPE_CHECKING:
    from idmd.context import DaemonContext
    from idmd.engine import Engine


class Namespace:
    def __init__(self, state: RpcState, peer: Peer) -> None:
        self._state = state
        self._peer = peer

    @property
    def _ctx(self) -> DaemonContext:
        return self._state.ctx

    @property
    def _engine(self) -> Engine:
        engine = self._state.ctx.engine
        if engine is None:
            raise NotAllowed("the engine is not running (the daemon is starting or stopping)")
        return engine
