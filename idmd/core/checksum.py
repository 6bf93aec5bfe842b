"""Checksum specs (``sha256=HEX``, ``md5=HEX``) parsed and checked for shape.

Hashing the file is the engine's job; this only validates the user's input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LENGTHS = {"sha256": 64, "sha1": 40, "md5": 32, "sha512": 128}
FORMS = ", ".join(f"{name}=HEX" for name in _LENGTHS)  # for messages and help


@dataclass(frozen=True)
class Checksum:
    algorithm: str  # a hashlib name
    hexdigest: str  # lower case

    def __str__(self) -> str:
        return f"{self.algorithm}={self.hexdigest}"


def parse_checksum(spec: str) -> Checksum:
    """``Checksum`` for ``"sha256=HEX"``; ValueError with a readable reason otherwise."""
    algorithm, sep, digest = spec.strip().partition("=")
    algorithm = algorithm.strip().lower().replace("-", "")
    digest = digest.strip().lower()
    if not sep or algorithm not in _LENGTHS:
        raise ValueError(f"checksum must be {FORMS}, not {spec!r}")
    if not re.fullmatch(r"[0-9a-f]*", digest):
        raise ValueError(f"a {algorithm} checksum is hex digits (0-9, a-f), not {digest!r}")
    if len(digest) != _LENGTHS[algorithm]:
        raise ValueError(
            f"a {algorithm} checksum is {_LENGTHS[algorithm]} hex digits, "
            f"this one has {len(digest)}"
        )
    return Checksum(algorithm, digest)
