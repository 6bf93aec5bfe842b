"""Checksum specs (``sha256=HEX``, ``md5=HEX``) parsed and checked for shape.

Hashing the file is the engine's job; this only validates the user's input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LENGTHS = {"sha256": 64, "md5": 32, "sha1": 40, "sha512": 128}


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
        raise ValueError(f"checksum must be sha256=HEX or md5=HEX, not {spec!r}")
    if len(digest) != _LENGTHS[algorithm] or not re.fullmatch(r"[0-9a-f]+", digest):
        raise ValueError(f"a {algorithm} checksum is {_LENGTHS[algorithm]} hex digits")
    return Checksum(algorithm, digest)
