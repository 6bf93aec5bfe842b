"""JSON-RPC errors as classes with a class-level code (mopidy's pattern).

The engine raises these; the dispatcher turns them into ``error`` objects; the
client library raises them again from a reply, so callers catch one type.
"""

from __future__ import annotations

from typing import Any

from idmd.protocol.models import ErrorObject


class RpcError(Exception):
    code: int = -32603
    message: str = "Internal error"

    def __init__(self, message: str | None = None, data: Any = None) -> None:
        super().__init__(message or self.message)
        self.detail = message or self.message
        self.data = data

    def to_dict(self) -> ErrorObject:
        error: ErrorObject = {"code": self.code, "message": self.detail}
        if self.data is not None:
            error["data"] = self.data
        return error


class ParseError(RpcError):
    code = -32700
    message = "Parse error"


class InvalidRequest(RpcError):
    code = -32600
    message = "Invalid Request"


class MethodNotFound(RpcError):
    code = -32601
    message = "Method not found"


class InvalidParams(RpcError):
    code = -32602
    message = "Invalid params"


class InternalError(RpcError):
    code = -32603
    message = "Internal error"


class Unauthorized(RpcError):
    code = -32001
    message = "Unauthorized"


class NoSuchJob(RpcError):
    code = -32004
    message = "No such job"


class NotAllowed(RpcError):
    code = -32009
    message = "Not allowed in this state"


class UrlNotSupported(RpcError):
    code = -32010
    message = "URL not supported"


class LimitReached(RpcError):
    code = -32011
    message = "Limit reached"


ERRORS_BY_CODE: dict[int, type[RpcError]] = {
    cls.code: cls
    for cls in (
        ParseError,
        InvalidRequest,
        MethodNotFound,
        InvalidParams,
        InternalError,
        Unauthorized,
        NoSuchJob,
        NotAllowed,
        UrlNotSupported,
        LimitReached,
    )
}


def error_from_dict(error: dict[str, Any]) -> RpcError:
    """The exception for a JSON-RPC ``error`` object received from the daemon."""
    cls = ERRORS_BY_CODE.get(int(error.get("code", -32603)), RpcError)
    exc = cls(str(error.get("message", "")), error.get("data"))
    exc.code = int(error.get("code", cls.code))
    return exc
