"""Checking a JSON value against a method's parameter annotation.

Only the shapes the API uses: str, int, float, bool, dict, Any, list[X],
X | None and Literal[...]. A bool is not an int here (JSON keeps them apart).
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union


def matches(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(matches(value, arg) for arg in typing.get_args(hint))
    if origin is Literal:
        return value in typing.get_args(hint) and not isinstance(value, bool)
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list) and all(matches(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is dict:
        return isinstance(value, dict)
    if hint is str:
        return isinstance(value, str)
    return isinstance(value, hint)


def describe(hint: Any) -> str:
    """``list of strings``, ``an integer or null``… for error messages."""
    if hint is Any:
        return "any value"
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(describe(arg) for arg in typing.get_args(hint))
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return f"a list of {describe(item).removeprefix('a ').removeprefix('an ')}s"
    if origin is dict or hint is dict:
        return "an object"
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }
    return names.get(hint, getattr(hint, "__name__", str(hint)))
