"""``credentials.*``: the per-site users and passwords the daemon keeps (owner token only:
a paired client may neither read nor change them, see idmd.rpc.scope).

Passwords go in and never come out: ``list`` gives hosts and users.
"""

from __future__ import annotations

from typing import Any

from idmd.engine.credentials import CredentialError
from idmd.protocol.checks import bad
from idmd.rpc.namespace import Namespace


class Credentials(Namespace):
    def add(self, host: str, user: str, password: str) -> dict[str, Any]:
        """Keep ``user`` and ``password`` for ``host`` (``example.org`` or ``example.org:8080``);
        replaces what was kept for it. Returns ``{host, user}``."""
        try:
            key = self._engine.credentials.add(host, user, password)
        except CredentialError as exc:
            raise bad(
                "host" if "host" in str(exc) else "user" if "user" in str(exc) else "password",
                str(exc),
            ) from None
        return {"host": key, "user": user}

    def list(self) -> list[dict[str, Any]]:
        """``[{host, user}]``, sorted by host; never a password."""
        return self._engine.credentials.list()

    def remove(self, host: str) -> bool:
        """Forget ``host``'s user and password; InvalidParams when none were kept."""
        try:
            removed = self._engine.credentials.remove(host)
        except CredentialError as exc:
            raise bad("host", str(exc)) from None
        if not removed:
            raise bad("host", f"no credentials kept for {host}")
        return True
