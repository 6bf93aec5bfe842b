"""JSON-RPC 2.0 without a transport: a decoded message (dict or list) in, the
reply (dict, list or None) out. Never imports aiohttp, so it is tested without sockets
(tests/rpc/test_dispatcher.py), as mopidy tests its core apart from its frontends.

Namespaces are classes built per call with ``(state, peer)``; their public
methods are the API (``jobs.add`` → ``Jobs.add``). Parameters are bound by
name or position and checked against the annotations; an error names the
parameter. Unexpected exceptions become -32603 without a traceback.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from idmd.protocol import MAX_BATCH_REQUESTS
from idmd.protocol.errors import (
    InternalError,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    RpcError,
    Unauthorized,
)
from idmd.rpc.peer import CLOSE_UNAUTHORIZED, Peer, RpcState
from idmd.rpc.scope import check_method

if TYPE_CHECKING:
    from idmd.rpc.replies import BatchFrames  # it imports this module
from idmd.rpc.typecheck import describe, matches

log = logging.getLogger(__name__)

# Served before authentication; everything else gets -32001 and the connection closes.
# session.ping too: it keeps a browser's worker alive while its pairing code waits.
PUBLIC_METHODS = frozenset({"session.hello", "session.pair", "session.ping"})


@dataclass(frozen=True)
class Method:
    namespace: type
    name: str
    signature: inspect.Signature
    hints: dict[str, Any]


def _methods(namespaces: dict[str, type]) -> dict[str, Method]:
    table = {}
    for prefix, cls in namespaces.items():
        for name, func in vars(cls).items():
            if name.startswith("_") or not callable(func):
                continue
            signature = inspect.signature(func)
            params = list(signature.parameters.values())[1:]  # drop self
            hints = typing.get_type_hints(func)
            table[f"{prefix}.{name}"] = Method(
                cls, name, signature.replace(parameters=params), hints
            )
    return table


def response(request_id: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def error_response(request_id: Any, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_dict()}


class Dispatcher:
    def __init__(self, state: RpcState, namespaces: dict[str, type]) -> None:
        self.state = state
        self.methods = _methods(namespaces)

    async def handle(
        self, message: Any, peer: Peer, batch: BatchFrames | None = None
    ) -> dict[str, Any] | list[dict[str, Any]] | None:
        """The reply to one decoded frame: a request, a notification or a batch. With
        ``batch``, a batch's replies go there, encoded as they come, and once it is full
        the remaining requests are refused without being run (see BatchFrames)."""
        if isinstance(message, list):
            if not message:
                return error_response(None, InvalidRequest("empty batch"))
            if len(message) > MAX_BATCH_REQUESTS:
                return error_response(
                    None,
                    InvalidRequest(
                        f"a batch may hold at most {MAX_BATCH_REQUESTS} requests,"
                        f" not {len(message)}"
                    ),
                )
            replies = []
            for index, item in enumerate(message):
                if index:
                    await asyncio.sleep(0)  # other clients' requests run between the items
                if batch is not None and batch.full:
                    if isinstance(item, dict) and "id" in item:
                        batch.refuse(item["id"])
                    continue
                reply = await self._one(item, peer)
                if reply is not None:
                    if batch is not None:
                        batch.add(reply)
                    else:
                        replies.append(reply)
                if peer.close_code is not None:
                    break
            return replies or None
        return await self._one(message, peer)

    async def _one(self, request: Any, peer: Peer) -> dict[str, Any] | None:
        if not isinstance(request, dict):
            return error_response(None, InvalidRequest("a request must be an object"))
        request_id = request.get("id")
        valid_id = request_id is None or (
            isinstance(request_id, (str, int, float)) and not isinstance(request_id, bool)
        )
        if not valid_id:
            return error_response(None, InvalidRequest("id must be a string, a number or null"))
        is_notification = "id" not in request
        try:
            method = self._validate(request)
            result = await self._call(method, request.get("params"), peer, request["method"])
        except InvalidRequest as exc:
            return error_response(
                request_id, exc
            )  # not a valid notification either: JSON-RPC answers id null
        except RpcError as exc:
            if is_notification:
                return None
            return error_response(request_id, exc)
        except Exception:  # a bug must not kill the connection nor leak a traceback
            log.exception("%s failed", request.get("method"))
            return None if is_notification else error_response(request_id, InternalError())
        return None if is_notification else response(request_id, result)

    def _validate(self, request: dict[str, Any]) -> Method:
        if request.get("jsonrpc") != "2.0":
            raise InvalidRequest('"jsonrpc" must be "2.0"')
        name = request.get("method")
        if not isinstance(name, str):
            raise InvalidRequest('"method" must be a string')
        if "params" in request and not isinstance(request["params"], (dict, list)):
            raise InvalidRequest('"params" must be an object or an array')
        method = self.methods.get(name)
        if method is None:
            raise MethodNotFound(f"no method {name!r}", {"method": name})
        return method

    async def _call(self, method: Method, params: Any, peer: Peer, name: str) -> Any:
        if not peer.authenticated and name not in PUBLIC_METHODS:
            peer.close(CLOSE_UNAUTHORIZED, "not authenticated")
            raise Unauthorized("authenticate first with session.hello {token, client}")
        check_method(peer, name)
        kwargs = self._bind(method, params)
        instance = method.namespace(self.state, peer)
        result = getattr(instance, method.name)(**kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    @staticmethod
    def _bind(method: Method, params: Any) -> dict[str, Any]:
        parameters = method.signature.parameters
        if params is None:
            params = {}
        if isinstance(params, list):
            if len(params) > len(parameters):
                raise InvalidParams(
                    f"at most {len(parameters)} parameters expected, {len(params)} given"
                )
            params = dict(zip(parameters, params, strict=False))
        kwargs: dict[str, Any] = {}
        for key in params:
            if key not in parameters:
                raise InvalidParams(f"unknown parameter {key!r}", {"param": key})
        for pname, param in parameters.items():
            if pname not in params:
                if param.default is inspect.Parameter.empty:
                    raise InvalidParams(f"missing parameter {pname!r}", {"param": pname})
                continue
            value = params[pname]
            hint = method.hints.get(pname, Any)
            if not matches(value, hint):
                raise InvalidParams(
                    f"parameter {pname!r} must be {describe(hint)}", {"param": pname}
                )
            kwargs[pname] = value
        return kwargs
