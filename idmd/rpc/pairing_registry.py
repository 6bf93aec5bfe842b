"""Paired clients and pending pairing codes.

A browser extension asks for a code (``session.pair``); once a user approves
it, the client gets a token of its own. A code lives with its connection, but
an MV3 service worker can be stopped by the browser while the user is still
typing the code: the code then waits ``RESUME_GRACE`` seconds for the same
client to come back with the code's secret resume key
(see ``resume``). Only SHA-256 digests of those tokens
are kept, in ``clients.json`` in the state dir (mode 0600), so a revoked or
leaked file never hands out a working token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from idmd.instance import write_private
from idmd.protocol.errors import InvalidParams, LimitReached

log = logging.getLogger(__name__)

CODE_TTL = 120.0  # seconds a pairing code stays valid
RESUME_GRACE = 45.0  # seconds a code outlives its connection, for the same client to resume it
MAX_PENDING = 16  # pending codes at once: stops a page from flooding the approval prompt
NEW_CODES_BURST = (
    8  # new codes handed out at once, then one per NEW_CODE_INTERVAL (all connections)
)
NEW_CODE_INTERVAL = 5.0


@dataclass
class PairedClient:
    id: str
    name: str
    version: str
    created_at: float
    token_sha256: str

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "created_at": self.created_at,
        }


@dataclass
class Pending:
    code: str
    client: dict[str, str]
    expires_at: float
    owner: object  # the waiting connection (a Peer); None while it waits for a resume
    resume_key: str = ""  # secret the client shows to take the code over on a new connection
    orphaned_at: float | None = None  # when its connection closed


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def client_info(raw: Any) -> dict[str, str]:
    """``{name, version}`` from a client's self-description, cleaned of odd values."""
    raw = raw if isinstance(raw, dict) else {}
    name = raw.get("name")
    version = raw.get("version")
    clean = lambda v, d: (
        "".join(c for c in str(v) if c.isprintable())[:80] if isinstance(v, str) and v else d
    )
    return {"name": clean(name, "unknown"), "version": clean(version, "")}


class PairingRegistry:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._pending: dict[str, Pending] = {}
        self._allowance = float(NEW_CODES_BURST)  # a token bucket for new codes
        self._stamp = clock()
        self._clients: dict[str, PairedClient] = self._load()

    def _load(self) -> dict[str, PairedClient]:
        try:
            data = json.loads(self.path.read_text())
            return {c["id"]: PairedClient(**c) for c in data.get("clients", [])}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.error("ignoring unreadable %s: %s", self.path, exc)
            return {}

    def _save(self) -> None:
        data = {"clients": [asdict(c) for c in self._clients.values()]}
        write_private(self.path, json.dumps(data, indent=2) + "\n")

    # -- tokens -------------------------------------------------------------------

    def match(self, token: str) -> str | None:
        """The id of the paired client whose token this is, or None (constant time per entry)."""
        digest = _digest(token)
        found = None
        for client in self._clients.values():
            if hmac.compare_digest(digest, client.token_sha256):
                found = client.id
        return found

    def exists(self, client_id: str) -> bool:
        return client_id in self._clients

    # -- codes ----------------------------------------------------------------------

    def request(self, client: dict[str, str], owner: object) -> tuple[Pending, bool]:
        """The owner's pending code and whether it is new (a connection holds one code; asking
        again returns it). New codes are rate-limited across all connections."""
        self._expire()
        for pending in self._pending.values():
            if pending.owner is owner:
                return pending, False
        if len(self._pending) >= MAX_PENDING:
            raise LimitReached("too many pairing requests are waiting; approve or deny some first")
        now = self._clock()
        self._allowance = min(
            float(NEW_CODES_BURST), self._allowance + (now - self._stamp) / NEW_CODE_INTERVAL
        )
        self._stamp = now
        if self._allowance < 1:
            wait = (1 - self._allowance) * NEW_CODE_INTERVAL
            raise LimitReached(
                f"too many pairing requests; try again in {wait:.0f} s",
                {"retry_after": round(wait, 1)},
            )
        self._allowance -= 1
        code = f"{secrets.randbelow(1_000_000):06d}"
        while code in self._pending:
            code = f"{secrets.randbelow(1_000_000):06d}"
        pending = Pending(code, client, now + CODE_TTL, owner, secrets.token_urlsafe(24))
        self._pending[code] = pending
        return pending, True

    def take(self, code: str) -> Pending:
        """Remove and return the pending request; InvalidParams when unknown or expired."""
        self._expire()
        pending = self._pending.pop(code, None)
        if pending is None:
            raise InvalidParams(
                f"no pairing request with code {code!r} is waiting (codes expire after "
                f"{int(CODE_TTL)} s)",
                {"param": "code"},
            )
        return pending

    def approve(self, pending: Pending) -> tuple[PairedClient, str]:
        """A new paired client and its token (the only time the token exists in clear)."""
        token = secrets.token_hex(32)
        client = PairedClient(
            secrets.token_hex(6),
            pending.client["name"],
            pending.client["version"],
            self._clock(),
            _digest(token),
        )
        self._clients[client.id] = client
        self._save()
        return client, token

    def expiry_of(self, owner: object) -> float | None:
        """When the pending request of ``owner`` expires (clock time), or None if it has none."""
        self._expire()
        return next((p.expires_at for p in self._pending.values() if p.owner is owner), None)

    def drop_owner(self, owner: object) -> None:
        """The owner's connection closed: its code waits ``RESUME_GRACE`` s for a resume."""
        for pending in self._pending.values():
            if pending.owner is owner:
                pending.owner = None
                pending.orphaned_at = self._clock()

    # -- resuming after the client's connection died ---------------------------------

    def resume(self, resume_key: str, owner: object) -> Pending:
        """Hand the still-valid code with this resume key to a new connection."""
        self._expire()
        for pending in self._pending.values():
            if pending.resume_key and hmac.compare_digest(pending.resume_key, resume_key):
                if pending.owner is not None and pending.owner is not owner:
                    raise InvalidParams(
                        "that pairing request is still held by another connection",
                        {"param": "resume"},
                    )
                pending.owner = owner
                pending.orphaned_at = None
                return pending
        raise InvalidParams(
            "no pairing request to resume: it expired or was denied", {"param": "resume"}
        )

    def take_live(self, code: str) -> Pending:
        """``take`` for approval: refused while the client is away, as its token would be lost."""
        pending = self.take(code)
        if pending.owner is None:
            self._pending[pending.code] = pending
            raise InvalidParams(
                f"the client that asked for code {code!r} is reconnecting; try again in a "
                "few seconds",
                {"param": "code"},
            )
        return pending

    def pending(self) -> list[dict[str, Any]]:
        self._expire()
        now = self._clock()
        return [
            {"code": p.code, "client": p.client, "expires_in": round(p.expires_at - now, 1)}
            for p in self._pending.values()
        ]

    def clients(self) -> list[dict[str, Any]]:
        return [c.public() for c in self._clients.values()]

    def revoke(self, client_id: str) -> bool:
        if self._clients.pop(client_id, None) is None:
            return False
        self._save()
        return True

    def _expire(self) -> None:
        now = self._clock()
        for code in [
            c
            for c, p in self._pending.items()
            if p.expires_at <= now
            or (p.orphaned_at is not None and p.orphaned_at + RESUME_GRACE <= now)
        ]:
            del self._pending[code]
