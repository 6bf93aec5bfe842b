"""User and password in a URL (``https://user:pass@host/f``), taken out of it.

The daemon stores and shows a job's URL and its proxy: no password may be in them. The
engine moves the user and password into the job's options, and ``idm add``
compares URLs the same way, so both live here, free of I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from idmd.core.proxyurl import split_password


def split_credentials(url: str, options: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``https://user:pass@host/f`` -> ``https://host/f`` and options with ``user`` and
    ``password`` (those already in ``options`` win); a URL without them is returned as is."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, dict(options)
    clean = dict(options)
    clean.setdefault("user", unquote(parts.username or ""))
    if parts.password is not None:
        clean.setdefault("password", unquote(parts.password))
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host)), clean


def split_proxy_password(options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``proxy`` option's password moved to ``proxy_password`` (one given apart wins)."""
    clean = dict(options)
    if clean.get("proxy"):
        clean["proxy"], password = split_password(str(clean["proxy"]))
        if password is not None:
            clean.setdefault("proxy_password", password)
    return clean


def secrets_of(options: Mapping[str, Any]) -> list[str]:
    """The passwords among a job's options, as given and as they appear in a URL."""
    values = [str(options[k]) for k in ("password", "proxy_password") if options.get(k)]
    return values + [quote(v, safe="") for v in values if quote(v, safe="") != v]


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced by ``***`` (for logs and error messages)."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
