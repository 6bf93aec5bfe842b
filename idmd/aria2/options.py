"""aria2's options ↔ idm's, both ways. Pure.

aria2 options are strings named like its command line (``max-download-limit``);
idm's are typed (``speed_limit``). Values are converted here and then checked by
idm's own option checks, like any ``jobs.add``. An option idm has no feature
for is left out and reported back, so the caller can log it (aria2 too ignores
an option it cannot apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idmd.aria2.errors import Aria2Error
from idmd.core.proxyurl import with_user
from idmd.core.units import UnitError
from idmd.core.units import parse_size as parse_units

MAX_CONNECTIONS = 32  # idm's ceiling for connections per job
_CHECKSUM_TYPES = {"sha-256": "sha256", "sha-1": "sha1", "md5": "md5"}

# Options a job takes (aria2.addUri, changeOption) and the global ones (changeGlobalOption).
JOB_OPTIONS = frozenset(
    {
        "dir",
        "out",
        "header",
        "max-connection-per-server",
        "split",
        "max-download-limit",
        "checksum",
        "referer",
        "user-agent",
        "http-user",
        "http-passwd",
        "pause",
        "all-proxy",
        "all-proxy-user",
        "all-proxy-passwd",
    }
)
GLOBAL_TO_CONFIG = {
    "dir": "download_dir",
    "max-concurrent-downloads": "max_active",
    "max-overall-download-limit": "speed_limit",
    "split": "connections",
    "max-connection-per-server": "connections",
    "user-agent": "user_agent",
}


def _text(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Aria2Error(f"option {name}: the value must be a string")
    return str(value)


def parse_size(name: str, value: Any) -> int:
    """aria2's sizes (``1048576``, ``1024K``, ``1M``), read as idm reads every size."""
    try:
        return parse_units(_text(name, value))
    except UnitError as exc:
        raise Aria2Error(f"option {name}: {exc}") from None


def parse_int(name: str, value: Any) -> int:
    text = _text(name, value).strip()
    if not text.isdigit():
        raise Aria2Error(f"option {name}: {value!r} is not a number")
    return int(text)


def parse_bool(name: str, value: Any) -> bool:
    text = _text(name, value).strip().lower()
    if text not in ("true", "false"):
        raise Aria2Error(f"option {name}: must be true or false")
    return text == "true"


def _headers(value: Any) -> dict[str, str]:
    lines = value if isinstance(value, list) else [value]
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, text = _text("header", line).partition(":")
        if not sep or not name.strip():
            raise Aria2Error(f'option header: {line!r} is not "Name: value"')
        headers[name.strip()] = text.strip()
    return headers


def _checksum(value: Any) -> str:
    kind, sep, digest = _text("checksum", value).partition("=")
    if not sep or kind.lower() not in _CHECKSUM_TYPES:
        raise Aria2Error("option checksum: must be sha-256=HEX, sha-1=HEX or md5=HEX")
    return f"{_CHECKSUM_TYPES[kind.lower()]}={digest.strip()}"


def to_idm(options: Mapping[str, Any], url: str = "") -> tuple[dict[str, Any], list[str]]:
    """(idm options, the aria2 options left out because idm has no such feature)."""
    out: dict[str, Any] = {}
    ignored = sorted(k for k in options if k not in JOB_OPTIONS)
    if "dir" in options:
        out["dir"] = _text("dir", options["dir"])
    if "out" in options:
        out["filename"] = _text("out", options["out"])
    headers = _headers(options["header"]) if "header" in options else {}
    # idm's own user and password: the password stays in the daemon's memory (never a stored
    # Authorization header), and Digest works too.
    if options.get("http-user") is not None:
        out["user"] = _text("http-user", options["http-user"])
    if options.get("http-passwd") is not None:
        out["password"] = _text("http-passwd", options["http-passwd"])
    if options.get("all-proxy"):
        proxy = _text("all-proxy", options["all-proxy"])
        if options.get("all-proxy-user"):
            proxy = with_user(
                proxy,
                _text("all-proxy-user", options["all-proxy-user"]),
                _text("all-proxy-passwd", options.get("all-proxy-passwd") or ""),
            )
        out["proxy"] = proxy
    if headers:
        out["headers"] = headers
    counts = [
        parse_int(k, options[k]) for k in ("split", "max-connection-per-server") if k in options
    ]
    if counts:
        # aria2 opens min(split, max-connection-per-server) for one URI; idm stops at 32.
        out["connections"] = min(*counts, MAX_CONNECTIONS) if min(counts) > 0 else 0
    if "max-download-limit" in options:
        out["speed_limit"] = parse_size("max-download-limit", options["max-download-limit"])
    if "checksum" in options:
        out["checksum"] = _checksum(options["checksum"])
    if "referer" in options:
        referer = _text("referer", options["referer"])
        out["referer"] = url if referer == "*" else referer  # "*": the URI itself, as in aria2
    if "user-agent" in options:
        out["user_agent"] = _text("user-agent", options["user-agent"])
    if "pause" in options and parse_bool("pause", options["pause"]):
        out["start"] = "paused"
    return out, ignored


def to_config_patch(options: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(a ``config.set`` patch, the options left out) for ``changeGlobalOption``."""
    patch: dict[str, Any] = {}
    ignored = sorted(k for k in options if k not in GLOBAL_TO_CONFIG)
    for name, key in GLOBAL_TO_CONFIG.items():
        if name not in options:
            continue
        value = options[name]
        if key in ("download_dir", "user_agent"):
            patch[key] = _text(name, value)
        elif key == "speed_limit":
            patch[key] = parse_size(name, value)
        elif key == "connections":
            patch[key] = min(parse_int(name, value), MAX_CONNECTIONS)
        else:
            patch[key] = parse_int(name, value)
    return patch, ignored


def from_idm(
    options: Mapping[str, Any], config: Mapping[str, Any], default_dir: str
) -> dict[str, str]:
    """A job's options as aria2 reports them (``getOption``), idm's defaults filled in."""
    connections = str(options.get("connections") or config.get("connections") or 8)
    out = {
        "dir": str(options.get("dir") or default_dir),
        "split": connections,
        "max-connection-per-server": connections,
        "max-download-limit": str(options.get("speed_limit") or 0),
        "user-agent": str(options.get("user_agent") or config.get("user_agent") or ""),
        "pause": "true" if options.get("start") == "paused" else "false",
    }
    if options.get("filename"):
        out["out"] = str(options["filename"])
    if options.get("referer"):
        out["referer"] = str(options["referer"])
    if options.get("proxy"):
        out["all-proxy"] = str(options["proxy"])  # without its password, as idm shows it
    if options.get("checksum"):
        kind, _, digest = str(options["checksum"]).partition("=")
        names = {v: k for k, v in _CHECKSUM_TYPES.items()}
        out["checksum"] = f"{names.get(kind, kind)}={digest}"
    headers = options.get("headers") or {}
    if headers:
        out["header"] = "\n".join(f"{k}: {v}" for k, v in headers.items())
    return out


def global_options(config: Mapping[str, Any], default_dir: str) -> dict[str, str]:
    """idm's config as aria2's global options (``getGlobalOption``)."""
    return {
        "dir": default_dir,
        "max-concurrent-downloads": str(config.get("max_active", 3)),
        "max-overall-download-limit": str(config.get("speed_limit", 0)),
        "max-download-limit": "0",
        "split": str(config.get("connections", 8)),
        "max-connection-per-server": str(config.get("connections", 8)),
        "user-agent": str(config.get("user_agent") or ""),
        "continue": "true",
        "max-download-result": "1000",
    }
