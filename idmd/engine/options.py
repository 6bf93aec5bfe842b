"""The request headers a job's options make: its own ``headers``, the referer,
cookies, user agent and Basic authentication (``user``/``password``).

The options themselves are declared and checked in idmd.protocol.options
before a job exists; this module only turns checked options into headers.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from idmd import __version__


def request_headers(options: Mapping[str, Any], default_user_agent: str = "") -> dict[str, str]:
    """The headers every request of a job sends: the job's own, cookies, referer, user agent."""
    headers = {
        "User-Agent": options.get("user_agent") or default_user_agent or f"idm/{__version__}"
    }
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
