"""The form of a browser extension's Origin: ``chrome-extension://`` and 32
letters a-p (Chromium's ids), or ``moz-extension://`` and a UUID (Firefox's).
Anything else claiming to be an extension is a forged or broken Origin."""

from __future__ import annotations

import re

_CHROME = re.compile(r"[a-p]{32}")
_FIREFOX = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SCHEMES = {"chrome-extension://": _CHROME, "moz-extension://": _FIREFOX}


def valid_extension_id(ext_id: str) -> bool:
    return any(pattern.fullmatch(ext_id) for pattern in SCHEMES.values())


def extension_id(origin: str) -> str | None:
    """The extension id an Origin names, or None when it is not a well-formed extension Origin."""
    lowered = origin.strip().lower()
    for scheme, pattern in SCHEMES.items():
        if lowered.startswith(scheme):
            ext_id = lowered[len(scheme) :].rstrip("/")
            return ext_id if pattern.fullmatch(ext_id) else None
    return None
