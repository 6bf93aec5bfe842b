"""aria2's JSON-RPC without a transport: a decoded message in, the reply out.

aria2's conventions: ``"token:SECRET"`` as the first parameter of every
``aria2.*`` call (idm's token or a paired client's), none for ``system.*``;
``system.multicall`` runs each call with its own token; every failure is
``{"code": 1, "message"}``. A wrong token costs idm's delay once per message,
however many calls in it carry one.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from idmd.aria2.args import MAX_ITEMS, Args
from idmd.aria2.errors import Aria2Error, InvalidRequest, Unauthorized
from idmd.aria2.face import Face
from idmd.aria2.methods import METHODS, NOTIFICATIONS, SYSTEM, Call
from idmd.protocol.errors import RpcError

log = logging.getLogger(__name__)

TOKEN_PREFIX = "token:"
MAX_BATCH = MAX_ITEMS  # requests in one batch, calls in one multicall


class Message:
    """One incoming frame or HTTP request: who sent
    it, and whether it paid the wrong-token delay."""

    def __init__(self, remote: str) -> None:
        self.remote = remote
        self.delayed = False


def reply(request_id: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def error_reply(request_id: Any, error: Aria2Error) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_dict()}


class Aria2Rpc:
    def __init__(self, face: Face) -> None:
        self.face = face

    async def handle(self, message: Any, remote: str = "") -> dict[str, Any] | list[dict[str, Any]]:
        """The reply to one decoded message: a request or a batch of them."""
        context = Message(remote)
        if isinstance(message, list):
            if not message or len(message) > MAX_BATCH:
                return error_reply(None, InvalidRequest(f"a batch holds 1 to {MAX_BATCH} requests"))
            return [await self._request(item, context) for item in message]
        return await self._request(message, context)

    async def _request(self, request: Any, context: Message) -> dict[str, Any]:
        if not isinstance(request, dict):
            return error_reply(None, InvalidRequest("Invalid Request."))
        request_id = request.get("id")
        method, params = request.get("method"), request.get("params", [])
        if not isinstance(method, str) or not isinstance(params, list):
            return error_reply(request_id, InvalidRequest("Invalid Request."))
        try:
            return reply(request_id, await self.call(method, params, context))
        except Aria2Error as exc:
            return error_reply(request_id, exc)

    async def call(self, method: str, params: list[Any], context: Message) -> Any:
        if method == "system.multicall":
            return await self._multicall(params, context)
        if method == "system.listMethods":
            return [*METHODS, *SYSTEM]
        if method == "system.listNotifications":
            return list(NOTIFICATIONS)
        handler = METHODS.get(method)
        if handler is None:
            raise Aria2Error(f"No such method: {method[:100]}")
        client_id = await self._authorise(params, context)
        call = Call(
            self.face, self.face.caller(client_id, context.remote), Args(method, params[1:])
        )
        try:
            return await handler(call)
        except RpcError as exc:
            raise self.face.translate(exc) from None
        except Aria2Error:
            raise
        except Exception:  # a bug must not reach the client as a traceback
            log.exception("aria2 %s failed", method)
            raise Aria2Error("Internal error") from None

    async def _authorise(self, params: list[Any], context: Message) -> str | None:
        """The paired client's id (None: the owner's token); Unauthorized otherwise."""
        first = params[0] if params else None
        if not isinstance(first, str) or not first.startswith(TOKEN_PREFIX):
            raise Unauthorized()
        valid, client_id = self.face.state.check_token(first[len(TOKEN_PREFIX) :])
        if not valid:
            if not context.delayed:
                context.delayed = True
                await asyncio.sleep(self.face.state.wrong_token_delay)
            raise Unauthorized()
        return client_id

    async def _multicall(self, params: list[Any], context: Message) -> list[Any]:
        calls = params[0] if len(params) == 1 else None
        if not isinstance(calls, list) or len(calls) > MAX_BATCH:
            raise Aria2Error(f"system.multicall takes one array of 0 to {MAX_BATCH} calls")
        results: list[Any] = []
        for item in calls:
            if not isinstance(item, dict):
                results.append(Aria2Error("system.multicall expected struct.").to_dict())
                continue
            name, inner = item.get("methodName"), item.get("params", [])
            if not isinstance(name, str):
                results.append(Aria2Error("Missing methodName.").to_dict())
            elif name == "system.multicall":
                results.append(Aria2Error("Recursive system.multicall forbidden.").to_dict())
            elif not isinstance(inner, list):
                results.append(Aria2Error("params must be an array.").to_dict())
            else:
                try:
                    results.append([await self.call(name, inner, context)])
                except Unauthorized:
                    raise  # as aria2: one unauthorised call fails the whole multicall
                except Aria2Error as exc:
                    results.append(exc.to_dict())
        return results
