"""Encoding replies: JSON, with answers that were encoded earlier (``Raw``, the
cached long lists) spliced in as they are instead of being encoded again."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Raw:
    """A value already encoded as JSON text."""

    text: str


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode(reply: Any) -> str:
    raws: list[str] = []
    nonce = secrets.token_hex(8)  # so that no text from outside can look like a marker

    def mark(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"\0{nonce}.{len(raws) - 1}\0"
        raise TypeError(f"cannot encode {type(value).__name__}")

    text = json.dumps(reply, ensure_ascii=False, separators=(",", ":"), default=mark)
    for index, raw in enumerate(raws):
        text = text.replace(f'"\\u0000{nonce}.{index}\\u0000"', raw, 1)
    return text
