"""``pairing.*``: approve or deny pairing codes, list and revoke paired clients."""

from __future__ import annotations

import time
from typing import Any

from idmd.protocol.errors import InvalidParams
from idmd.protocol.events import EventType
from idmd.rpc.namespace import Namespace
from idmd.rpc.peer import CLOSE_UNAUTHORIZED, Peer


class Pairing(Namespace):
    def approve(self, code: str) -> bool:
        """Give the client waiting with ``code`` a token
        of its own (sent as event pairing.approved)."""
        pending = self._state.pairing.take_live(code.strip())
        client, token = self._state.pairing.approve(pending)
        event = self._ctx.bus.emit(
            EventType.PAIRING_APPROVED, None, {"code": pending.code, "client": client.public()}
        )
        waiting = pending.owner
        if isinstance(waiting, Peer):
            waiting.authenticated = True
            waiting.client_id = client.id
            waiting.client = pending.client
            data = {"code": pending.code, "client": client.public(), "token": token}
            waiting.send(
                {
                    "jsonrpc": "2.0",
                    "method": "event",
                    "params": {
                        "seq": event.seq,
                        "type": str(EventType.PAIRING_APPROVED),
                        "job": None,
                        "at": time.time(),
                        "data": data,
                    },
                }
            )
        return True

    def deny(self, code: str) -> bool:
        """Refuse the request; the waiting connection is closed (4401)."""
        pending = self._state.pairing.take(code.strip())
        if isinstance(pending.owner, Peer):
            pending.owner.close(CLOSE_UNAUTHORIZED, "pairing denied")
        return True

    def list(self) -> dict[str, Any]:
        """Paired clients and the codes still waiting for a decision."""
        return {"clients": self._state.pairing.clients(), "pending": self._state.pairing.pending()}

    def revoke(self, id: str) -> bool:
        """Forget a paired client: its token stops working and its connections close."""
        if not self._state.pairing.revoke(id):
            raise InvalidParams(f"no paired client {id!r}", {"param": "id"})
        for peer in list(self._state.peers):
            if peer.client_id == id:
                peer.close(CLOSE_UNAUTHORIZED, "pairing revoked")
        return True
