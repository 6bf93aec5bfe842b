"""A job's user and password on the wire: Basic from the first request (as curl's ``-u``
and ``--netrc`` do), Digest (RFC 7616) as soon as the server's 401 asks for it.

One ``Auth`` serves every connection of a job, so the Digest nonce count goes up
across them. Credentials go to their own host only. The digest itself is
idmd.core.digest's; where credentials come from is idmd.engine.credentials's.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from idmd.core.digest import Challenge, authorization, digest_challenge


class Auth:
    def __init__(self, url: str, user: str, password: str, source: str = "job") -> None:
        self.source = source  # job, stored or netrc: said in the job's log
        self.host = host_of(url)
        self.user = user
        self.password = password
        self._challenge: Challenge | None = None
        self._count = 0
        self._cnonce = secrets.token_hex(16)

    def header(self, url: str, method: str = "GET") -> str | None:
        """The ``Authorization`` value for a request to ``url``; None for another host."""
        if host_of(url) != self.host:
            return None
        if self._challenge is None:
            pair = f"{self.user}:{self.password}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        self._count += 1
        parts = urlsplit(url)
        uri = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return authorization(
            self._challenge, self.user, self.password, method, uri, self._count, self._cnonce
        )

    def challenged(self, values: Iterable[str]) -> bool:
        """A 401's ``WWW-Authenticate`` values: True when a new Digest challenge came (try
        again with it), False when nothing new can be tried (the password is wrong)."""
        challenge = digest_challenge(values)
        if challenge is None:
            return False
        if self._challenge is not None and challenge.nonce == self._challenge.nonce:
            return False
        self._challenge, self._count = challenge, 0
        return True


def host_of(url: str) -> str:
    """The host a credential belongs to: its name, lowercase, without the port."""
    return (urlsplit(url).hostname or "").lower()
