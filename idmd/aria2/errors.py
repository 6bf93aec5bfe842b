"""aria2's error objects: every failure of a method is ``{"code": 1, "message"}``
(aria2 uses 1 for all of them); only a frame that is not JSON (-32700) or not a
request (-32600) gets JSON-RPC's own codes, as aria2 does."""

from __future__ import annotations

from typing import Any


class Aria2Error(Exception):
    code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class ParseError(Aria2Error):
    code = -32700


class InvalidRequest(Aria2Error):
    code = -32600


class Unauthorized(Aria2Error):
    def __init__(self) -> None:
        super().__init__("Unauthorized")
