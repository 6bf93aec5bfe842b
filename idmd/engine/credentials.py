"""Per-site users and passwords: a JSON file of mode 0600 next to config.toml, then
``~/.netrc`` (read as curl and wget read it, with Python's netrc module).

``idm credentials add/list/remove`` (owner token only) edit the file through the
RPC; the engine asks ``find`` for the credentials of a job's URL when the job
brings none of its own. Passwords never leave the daemon: ``list`` gives hosts
and users only.
"""

from __future__ import annotations

import json
import logging
import netrc
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Any
from urllib.parse import urlsplit

from idmd.engine.http.auth import Auth
from idmd.instance import write_private

log = logging.getLogger(__name__)
MAX_FIELD = 1024


class CredentialError(ValueError):
    """A host, user or password that cannot be stored; the message says why."""


@dataclass(frozen=True)
class Credential:
    user: str
    password: str
    source: str  # "stored" or "netrc": said in the job's log, never the password


def site_key(host: str) -> str:
    """``HOST`` or ``HOST:PORT`` as stored, from what a user types (a URL is fine too)."""
    text = host.strip()
    parts = urlsplit(text if "://" in text else f"//{text}")
    try:
        port = parts.port
    except ValueError:
        raise CredentialError(f"{host!r}: the port must be 1..65535") from None
    name = (parts.hostname or "").lower().rstrip(".")
    if not name or any(c.isspace() for c in name) or len(name) > 253:
        raise CredentialError(f"{host!r} is not a host name (example.org or example.org:8080)")
    name = f"[{name}]" if ":" in name else name
    return f"{name}:{port}" if port else name


class Credentials:
    """The stored credentials (``path`` None: none)
    and the netrc file (``netrc_path`` None: none)."""

    def __init__(self, path: Path | None, netrc_path: Path | None = None) -> None:
        self.path = path
        self.netrc_path = netrc_path
        self._parsed_netrc: tuple[tuple[int, int, int], netrc.netrc | None] | None = None
        self._sites: dict[str, dict[str, str]] = self._load()

    @classmethod
    def for_user(cls, folder: Path, env: dict[str, str] | None = None) -> Credentials:
        """The daemon's: ``folder/credentials.json`` and ``$NETRC`` or ``~/.netrc`` (as curl)."""
        env = dict(os.environ) if env is None else env
        netrc_file = Path(env["NETRC"]) if env.get("NETRC") else Path.home() / ".netrc"
        return cls(folder / "credentials.json", netrc_file)

    def _load(self) -> dict[str, dict[str, str]]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            sites = data["sites"]
            return {
                str(k): {"user": str(v["user"]), "password": str(v["password"])}
                for k, v in sites.items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("cannot read %s (%s): no stored credentials", self.path, exc)
            return {}

    def _save(self) -> None:
        if self.path is None:
            raise CredentialError("this daemon keeps no credentials file")
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(self.path, json.dumps({"version": 1, "sites": self._sites}, indent=2) + "\n")

    def add(self, host: str, user: str, password: str) -> str:
        """Store (or replace) the user and password for ``host``; returns the key stored."""
        key = site_key(host)
        for name, value in (("user", user), ("password", password)):
            if (
                not isinstance(value, str)
                or len(value) > MAX_FIELD
                or "\n" in value
                or "\r" in value
            ):
                raise CredentialError(f"{name} must be one line of at most {MAX_FIELD} characters")
        if not user:
            raise CredentialError("user must not be empty")
        self._sites[key] = {"user": user, "password": password}
        self._save()
        return key

    def remove(self, host: str) -> bool:
        """Forget ``host``'s credentials; False when there were none."""
        key = site_key(host)
        if key not in self._sites:
            return False
        del self._sites[key]
        self._save()
        return True

    def list(self) -> list[dict[str, Any]]:
        """``[{host, user}]``: never a password."""
        return [{"host": key, "user": value["user"]} for key, value in sorted(self._sites.items())]

    def find(self, url: str) -> Credential | None:
        """The credentials for ``url``'s host: stored ``host:port``, stored ``host``, then netrc."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host:
            return None
        try:
            port = parts.port
        except ValueError:
            port = None
        keys = [f"{host}:{port}"] if port else []
        for key in [*keys, host]:
            site = self._sites.get(key)
            if site is not None:
                return Credential(site["user"], site["password"], "stored")
        return self._from_netrc(host)

    def _netrc(self) -> netrc.netrc | None:
        """The netrc file, parsed again only when it changed (every job looks its host up)."""
        if self.netrc_path is None:
            return None
        try:
            stat = self.netrc_path.stat()
        except OSError:
            return None
        if not S_ISREG(stat.st_mode):
            return None
        version = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if self._parsed_netrc is not None and self._parsed_netrc[0] == version:
            return self._parsed_netrc[1]
        try:
            parsed = netrc.netrc(str(self.netrc_path))
        except (OSError, netrc.NetrcParseError) as exc:
            log.warning("cannot read %s: %s", self.netrc_path, exc)
            parsed = None
        self._parsed_netrc = (version, parsed)
        return parsed

    def _from_netrc(self, host: str) -> Credential | None:
        parsed = self._netrc()
        entry = parsed.authenticators(host) if parsed is not None else None  # "default" too
        if entry is None or not entry[0]:
            return None
        return Credential(entry[0], entry[2] or "", "netrc")


def job_auth(url: str, options: Mapping[str, Any], credentials: Credentials) -> Auth | None:
    """The ``Auth`` of a job: its own ``user``/``password``, else the stored or netrc ones for
    its host; None when it sends its own Authorization header or has no credentials."""
    if any(str(k).lower() == "authorization" for k in options.get("headers") or {}):
        return None
    user, password = options.get("user"), options.get("password")
    if user or password:
        return Auth(url, str(user or ""), str(password or ""))
    found = credentials.find(url)
    return Auth(url, found.user, found.password, found.source) if found else None
