"""The request headers a job's options make: its own ``headers``, the referer,
cookies, user agent and Basic authentication (``user``/``password``).

The options themselves are declared and checked in idmd.protocol.options
before a job exists; this module only turns checked options into headers.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from idmd import __version__
from idmd.protocol.models import JobOptions


def request_headers(options: Mapping[str, Any], default_user_agent: str = "") -> dict[str, str]:
    """The headers every request of a job sends: the job's own, cookies, referer, user agent."""
    headers = {"User-Agent": options.get("user_agent") or default_user_agent or f"idm/{__version__}"}
    headers["Accept-Encoding"] = "identity"  # ranges must address the file's bytes, not gzip's
    headers.update(job_headers(options))
    return headers


def job_headers(options: Mapping[str, Any]) -> dict[str, str]:
    """The headers the job asked for: its own ``headers``, ``referer`` and ``cookies``."""
    headers = {str(k): str(v) for k, v in (options.get("headers") or {}).items()}
    if options.get("referer"):
        headers["Referer"] = str(options["referer"])
    cookies = options.get("cookies")
    if isinstance(cookies, Mapping):
        cookies = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if cookies:
        headers["Cookie"] = str(cookies)
    user, password = options.get("user"), options.get("password")
    if (user or password) and not any(k.lower() == "authorization" for k in headers):
        pair = f"{user or ''}:{password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    return headers


def split_credentials(url: str, options: JobOptions) -> tuple[str, JobOptions]:
    """``https://user:pass@host/f`` -> ``https://host/f`` and the user and password as
    options (those given as options win): the URL is stored and shown, the password not."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, options
    host = parts.netloc.rpartition("@")[2]
    clean: JobOptions = {**options}
    clean.setdefault("user", unquote(parts.username or ""))
    if parts.password is not None:
        clean.setdefault("password", unquote(parts.password))
    return urlunsplit(parts._replace(netloc=host)), clean
