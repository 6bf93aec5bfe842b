"""HTTP Digest authentication, the client's side (RFC 7616): MD5 and SHA-256, with
``qop=auth`` or without qop (RFC 2069 servers), and their ``-sess`` variants.

Pure: reads ``WWW-Authenticate`` values and writes ``Authorization`` values;
idmd.engine.http.auth decides when to send them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

ALGORITHMS = {"MD5": "md5", "SHA-256": "sha256"}  # RFC 7616 names -> hashlib's
# A token (a scheme or a parameter name), then optionally =token or ="quoted string".
_PART = re.compile(r'\s*,?\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?')


@dataclass(frozen=True)
class Challenge:
    realm: str
    nonce: str
    algorithm: str = "MD5"  # as the server spelled it, upper case: MD5, SHA-256, MD5-sess...
    qop: str | None = None  # "auth" when the server offers it
    opaque: str | None = None
    stale: bool = False  # the nonce expired: the same credentials with the new nonce

    @property
    def hash_name(self) -> str:
        return ALGORITHMS[self.algorithm.removesuffix("-SESS")]


def challenges(values: Iterable[str]) -> list[tuple[str, dict[str, str]]]:
    """Every challenge of the ``WWW-Authenticate`` values: ``[(scheme, {param: value})]``."""
    found: list[tuple[str, dict[str, str]]] = []
    for value in values:
        pos = 0
        while pos < len(value):
            match = _PART.match(value, pos)
            if match is None or match.end() == pos:
                break
            pos = match.end()
            name, raw = match.group(1), match.group(2)
            if raw is None:
                found.append((name.lower(), {}))  # a new scheme
            elif found:
                if raw.startswith('"'):
                    raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
                found[-1][1][name.lower()] = raw
    return found


def digest_challenge(values: Iterable[str]) -> Challenge | None:
    """The strongest Digest challenge we can answer (SHA-256 before MD5), or None."""
    usable: list[Challenge] = []
    for scheme, params in challenges(values):
        algorithm = params.get("algorithm", "MD5").upper()
        if scheme != "digest" or algorithm.removesuffix("-SESS") not in ALGORITHMS:
            continue
        if "realm" not in params or "nonce" not in params:
            continue
        qops = [q.strip().lower() for q in params.get("qop", "").split(",") if q.strip()]
        if qops and "auth" not in qops:
            continue  # auth-int only: the body's hash, which a GET client does not do
        usable.append(
            Challenge(
                params["realm"],
                params["nonce"],
                algorithm,
                "auth" if qops else None,
                params.get("opaque"),
                params.get("stale", "").lower() == "true",
            )
        )
    usable.sort(key=lambda c: c.hash_name != "sha256")
    return usable[0] if usable else None


def authorization(
    challenge: Challenge, user: str, password: str, method: str, uri: str, nc: int, cnonce: str
) -> str:
    """The ``Authorization`` value answering ``challenge``
    for ``method uri`` (request count ``nc``)."""

    def h(text: str) -> str:
        return hashlib.new(challenge.hash_name, text.encode()).hexdigest()

    ha1 = h(f"{user}:{challenge.realm}:{password}")
    if challenge.algorithm.endswith("-SESS"):
        ha1 = h(f"{ha1}:{challenge.nonce}:{cnonce}")
    ha2 = h(f"{method}:{uri}")
    count = f"{nc:08x}"
    if challenge.qop:
        response = h(f"{ha1}:{challenge.nonce}:{count}:{cnonce}:{challenge.qop}:{ha2}")
    else:
        response = h(f"{ha1}:{challenge.nonce}:{ha2}")
    fields = [
        f'username="{_quote(user)}"',
        f'realm="{_quote(challenge.realm)}"',
        f'nonce="{_quote(challenge.nonce)}"',
        f'uri="{_quote(uri)}"',
        f"algorithm={challenge.algorithm}",
        f'response="{response}"',
    ]
    if challenge.qop:
        fields += [f"qop={challenge.qop}", f"nc={count}", f'cnonce="{_quote(cnonce)}"']
    if challenge.opaque is not None:
        fields.append(f'opaque="{_quote(challenge.opaque)}"')
    return "Digest " + ", ".join(fields)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
