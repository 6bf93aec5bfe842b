"""Positional parameters of one aria2 call, checked with aria2-shaped errors:
a wrong type, a missing or an extra parameter is ``{"code": 1, "message"}``
naming the parameter, and nothing is done."""

from __future__ import annotations

from typing import Any

from idmd.aria2.errors import Aria2Error
from idmd.aria2.gid import GID_RE

MAX_ITEMS = 1000  # URIs, keys or options in one parameter


class Args:
    def __init__(self, method: str, params: list[Any]) -> None:
        self.method = method
        self.params = params

    def at_most(self, count: int) -> None:
        if len(self.params) > count:
            raise Aria2Error(
                f"{self.method} takes at most {count} parameters, {len(self.params)} given"
            )

    def _get(self, index: int, name: str, required: bool) -> Any:
        if index < len(self.params):
            return self.params[index]
        if required:
            raise Aria2Error(f"{self.method}: the parameter {name} is missing")
        return None

    def gid(self, index: int = 0) -> str:
        value = self._get(index, "gid", True)
        if not isinstance(value, str):
            raise Aria2Error("GID is not provided.")
        if not GID_RE.match(value):
            raise Aria2Error(f"Bad GID {value[:40]}")
        return value.lower()

    def integer(self, index: int, name: str, default: int | None = None) -> int:
        value = self._get(index, name, default is None)
        if value is None:
            assert default is not None
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise Aria2Error(f"{self.method}: the parameter {name} must be an integer")
        if abs(value) > 1 << 31:
            raise Aria2Error(f"{self.method}: the parameter {name} is out of range")
        return value

    def strings(self, index: int, name: str, required: bool = True) -> list[str] | None:
        value = self._get(index, name, required)
        if value is None:
            return None
        if (
            not isinstance(value, list)
            or len(value) > MAX_ITEMS
            or not all(isinstance(v, str) for v in value)
        ):
            raise Aria2Error(f"{self.method}: the parameter {name} must be an array of strings")
        return value

    def struct(self, index: int, name: str, required: bool = False) -> dict[str, Any]:
        value = self._get(index, name, required)
        if value is None:
            return {}
        if not isinstance(value, dict) or len(value) > MAX_ITEMS:
            raise Aria2Error(f"{self.method}: the parameter {name} must be a struct")
        return value

    def choice(self, index: int, name: str, choices: tuple[str, ...]) -> str:
        value = self._get(index, name, True)
        if value not in choices:
            raise Aria2Error(
                f"{self.method}: the parameter {name} must be one of {', '.join(choices)}"
            )
        return str(value)
