"""``session.*``: authentication, pairing requests and keep-alive pings."""

from __future__ import annotations

from typing import Any

from idmd import __version__
from idmd.protocol import PROTOCOL_VERSION
from idmd.protocol.errors import Unauthorized
from idmd.protocol.events import EventType
from idmd.rpc.namespace import Namespace
from idmd.rpc.pairing_registry import client_info
from idmd.rpc.peer import CLOSE_UNAUTHORIZED


class Session(Namespace):
    async def hello(self, token: str, client: dict[str, Any] | None = None) -> dict[str, Any]:
        """Authenticate this connection with the daemon's token or a paired client's token."""
        valid, client_id = self._state.check_token(token)
        if not valid:
            # A wrong token costs time, so guessing is slow; then the connection closes.
            await self._state.wrong_token_pause()
            self._peer.close(CLOSE_UNAUTHORIZED, "wrong token")
            raise Unauthorized("wrong token")
        self._peer.authenticated = True
        self._peer.client_id = client_id
        self._peer.client = client_info(client)
        return {
            # started_at tells a reconnecting client whether seqs started again (a new daemon).
            "server": {
                "name": "idmd",
                "version": __version__,
                "protocol": PROTOCOL_VERSION,
                "started_at": self._ctx.started_at,
            },
            "seq": self._ctx.bus.seq,
        }

    def pair(
        self, client: dict[str, Any] | None = None, resume: str | None = None
    ) -> dict[str, Any]:
        """Ask for a token: returns a 6-digit code a user approves in idm-tui or `idm pair approve`.

        ``resume``: the key of an earlier reply, to take that code over after the
        connection that asked for it died (a browser stopped the extension's worker).
        """
        if resume:
            pending = self._state.pairing.resume(resume, self._peer)
        else:
            info = client_info(client)
            pending, new = self._state.pairing.request(info, self._peer)
            if (
                new
            ):  # once per code, and outside the replay buffer: anyone can ask, job events must stay
                self._ctx.bus.emit(
                    EventType.PAIRING_REQUESTED,
                    None,
                    {"code": pending.code, "client": info, "expires_at": pending.expires_at},
                    retain=False,
                )
        return {
            "code": pending.code,
            "expires_at": pending.expires_at,
            "resume": pending.resume_key,
        }

    def ping(self) -> str:
        """Keep-alive that crosses the socket as a text message (MV3 workers need one).

        Served before authentication too: a connection waiting for its pairing
        code to be approved needs it most.
        """
        return "pong"
