"""The daemon's configuration: ``config.toml`` read with tomllib, every key optional.

Command-line options override the file; ``config.set`` patches the running
config. Each key is documented in ``FIELDS`` (the man page and
``idmd --print-config`` are made from it).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idmd.core import actions, categories
from idmd.core.origins import valid_extension_id
from idmd.core.proxyurl import ProxyUrlError, check_proxy, masked
from idmd.core.units import UnitError, parse_size
from idmd.protocol.jobs import DUPLICATE_ACTIONS


class ConfigError(ValueError):
    """A config file or patch with a wrong key or value."""


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8765
    download_dir: str = ""  # empty: the platform's downloads folder (or IDM_HOME/downloads)
    max_active: int = 3
    connections: int = 8
    max_connections_per_host: int = 32
    min_split: int = 1024 * 1024
    speed_limit: int = 0
    stall_timeout: float = 30.0
    retries: int = 5
    on_duplicate: str = "rename"
    user_agent: str = ""
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    allowed_dirs: tuple[str, ...] = field(default_factory=tuple)
    extension_ids: tuple[str, ...] = field(default_factory=tuple)
    event_retention: int = 4096
    log_level: str = "info"
    proxy: str = ""  # empty: HTTP_PROXY/HTTPS_PROXY/NO_PROXY from the environment
    no_proxy: tuple[str, ...] = field(default_factory=tuple)
    # Categories and what happens after a download (idmd/core/categories.py, idmd/core/actions.py).
    use_categories: bool = True
    categories: dict[str, Any] = field(default_factory=dict, hash=False)
    actions: dict[str, Any] = field(default_factory=dict, hash=False)
    webhook_url: str = ""
    webhook_timeout: float = 10.0
    on_queue_empty: tuple[str, ...] = field(default_factory=tuple)
    auto_retry: bool = True  # a job failed by the network is tried again later (retry_later.py)
    auto_retry_wait: float = 60.0
    auto_retry_max: int = 5
    # A fleet (idmd/fleet/): the ``[fleet]`` table of config.toml, read as ``fleet_<key>``.
    fleet_url: str = ""
    fleet_name: str = "idm"
    fleet_node: str = ""
    fleet_credentials: str = ""
    fleet_tls_ca: str = ""
    fleet_tls_cert: str = ""
    fleet_tls_key: str = ""
    fleet_ack_wait: float = 30.0
    fleet_max_deliver: int = 5
    fleet_keep_ended: int = 1000
    fleet_keep_ended_days: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key in _LISTS:
            data[key] = list(data[key])
        return data

    def public(self) -> dict[str, Any]:
        """``to_dict`` with the proxy's password masked: what clients and events see."""
        data = self.to_dict()
        data["proxy"] = masked(self.proxy)
        return data

    def patched(self, patch: dict[str, Any]) -> Config:
        """A copy with ``patch`` applied; raises ConfigError naming a bad key or value."""
        changes: dict[str, Any] = {}
        for key, value in _flatten_fleet(patch).items():
            if key not in FIELDS:
                raise ConfigError(f"unknown config key {key!r}")
            changes[key] = _coerce(key, value)
        new = dataclasses.replace(self, **changes)
        new.validate()
        return new

    def validate(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError("port must be 0..65535")
        if not 1 <= self.max_active <= 100:
            raise ConfigError("max_active must be 1..100")
        if not 1 <= self.connections <= 32:
            raise ConfigError("connections must be 1..32")
        if not 1 <= self.max_connections_per_host <= 256:
            raise ConfigError("max_connections_per_host must be 1..256")
        if self.min_split < 64 * 1024:
            raise ConfigError("min_split must be at least 65536")
        if self.min_split > MAX_BYTES:
            raise ConfigError(f"min_split must be at most {MAX_BYTES}")
        if not 0 <= self.speed_limit <= MAX_BYTES:
            raise ConfigError(f"speed_limit must be 0..{MAX_BYTES} (0: no limit)")
        if not 0 < self.stall_timeout <= 86400:
            raise ConfigError("stall_timeout must be a number of seconds > 0 and at most 86400")
        if not 0 <= self.retries <= 1000:
            raise ConfigError("retries must be 0..1000")
        if self.on_duplicate not in DUPLICATE_ACTIONS:
            raise ConfigError("on_duplicate must be rename, overwrite, skip or ask")
        if not 4096 <= self.event_retention <= 1 << 20:
            raise ConfigError("event_retention must be 4096..1048576")
        if not 1 <= self.auto_retry_wait <= 86400:
            raise ConfigError("auto_retry_wait must be a number of seconds from 1 to 86400")
        if not 0 <= self.auto_retry_max <= 100:
            raise ConfigError("auto_retry_max must be 0..100")
        for folder in self.allowed_dirs:
            if not Path(folder).is_absolute():
                raise ConfigError(f"allowed_dirs must list absolute folders, not {folder!r}")
        if self.fleet_url and not self.fleet_url.startswith(
            ("nats://", "tls://", "ws://", "wss://")
        ):
            raise ConfigError("fleet url must be nats://HOST:PORT (or tls://, ws://, wss://)")
        if not FLEET_NAME.fullmatch(self.fleet_name):
            raise ConfigError("fleet name must be 1-32 letters, digits, - or _")
        if self.fleet_node and not FLEET_NAME.fullmatch(self.fleet_node):
            raise ConfigError(
                "fleet node must be 1-32 letters, digits, - or _ (empty: the host name)"
            )
        if not 1 <= self.fleet_ack_wait <= 3600:
            raise ConfigError("fleet ack_wait must be 1..3600 seconds")
        if not 1 <= self.fleet_max_deliver <= 100:
            raise ConfigError("fleet max_deliver must be 1..100")
        if not 0 <= self.fleet_keep_ended <= 1_000_000:
            raise ConfigError("fleet keep_ended must be 0..1000000")
        if not 0 <= self.fleet_keep_ended_days <= 36500:
            raise ConfigError("fleet keep_ended_days must be 0..36500 (0: no limit by age)")
        for ext_id in self.extension_ids:
            if not valid_extension_id(ext_id):
                raise ConfigError(
                    f"extension_ids: {ext_id!r} is not a Chrome (32 letters a-p)"
                    " or Firefox (UUID) id"
                )
        if self.proxy:
            try:
                check_proxy(self.proxy)
            except ProxyUrlError as exc:
                raise ConfigError(f"proxy: {exc}") from None
        self._validate_after()

    def _validate_after(self) -> None:
        """Categories, actions and the webhook: a folder outside the download folder and
        ``allowed_dirs`` is refused here, so nothing is ever written there."""
        known = Path(self.download_dir).expanduser() if self.download_dir else None
        allowed = [Path(d) for d in self.allowed_dirs]
        try:
            chosen = categories.parse(self.categories)
            categories.check_folders(chosen, known, allowed)
            named = actions.parse(self.actions)
            actions.check_folders(named, known, allowed)
        except (categories.CategoryError, actions.ActionError) as exc:
            raise ConfigError(str(exc)) from None
        for category in chosen:
            if category.after and category.after != actions.NONE and category.after not in named:
                raise ConfigError(
                    f"categories.{category.name}.after: no action {category.after!r} in [actions]"
                )
        if self.webhook_url and not self.webhook_url.startswith(("http://", "https://")):
            raise ConfigError("webhook_url must be an http:// or https:// URL (empty: none)")
        if not 0 < self.webhook_timeout <= 600:
            raise ConfigError("webhook_timeout must be a number of seconds > 0 and at most 600")
        if self.on_queue_empty and not self.on_queue_empty[0].strip():
            raise ConfigError(
                'on_queue_empty must be a command as a list of strings: ["program", "arg"]'
            )


FIELDS: dict[str, str] = {
    "host": "address to listen on; loopback only unless you know why",
    "port": "TCP port of the RPC WebSocket (0: any free port, see daemon.json)",
    "download_dir": "where downloads go (default: the user's downloads folder)",
    "max_active": "how many jobs download at once",
    "connections": "default connections per job (1-32)",
    "max_connections_per_host": "connections to one host across all jobs",
    "min_split": "smallest segment in bytes a connection is given (1M, 512K)",
    "speed_limit": 'global speed limit in bytes per second, 0: none ("500K", "2M")',
    "stall_timeout": "seconds without a byte before a connection is replaced",
    "retries": "retries per connection before a job fails",
    "on_duplicate": "rename, overwrite, skip or ask when the file exists",
    "user_agent": "User-Agent sent when a job names none",
    "allowed_origins": "extra Origins (besides browser extensions) allowed to connect",
    "allowed_dirs": "absolute folders a paired client (the browser extension) may download to,"
    " besides download_dir",
    "extension_ids": "browser extension ids allowed to connect and pair"
    " (empty: any well-formed id)",
    "event_retention": "events kept for replay (at least 4096)",
    "log_level": "debug, info, warning or error",
    "proxy": "proxy for every job without its own: http://, https://, socks5://"
    " or socks5h://[user:password@]host:port (empty: HTTP_PROXY/HTTPS_PROXY)",
    "no_proxy": "hosts reached without the config's proxy"
    " (example.org, .example.org, host:port, *)",
    "use_categories": "sort downloads into category folders under download_dir"
    " (Compressed, Documents, Music, Programs, Video and [categories.NAME] tables)",
    "categories": "[categories.NAME] tables: folder, extensions, mime, hosts (globs),"
    " after (an action's name)",
    "actions": "[actions.NAME] tables run after a download completes: move (a folder),"
    " run (a command, no shell; the file's path is appended or replaces {path}),"
    " timeout (seconds), notify (a desktop notification, also on failure; the action notify"
    " is built in)",
    "webhook_url": "POST each completed or failed job as JSON to this URL (empty: none)",
    "webhook_timeout": "seconds before a webhook POST is given up",
    "on_queue_empty": "a command (list of strings, no shell) run when the last queued"
    " or running job ends",
    "auto_retry": "try a download that failed on the network"
    " (refused, reset, timeout, 5xx, 429) again later",
    "auto_retry_wait": "seconds before the first automatic retry;"
    " each next one waits about twice as long",
    "auto_retry_max": "automatic retries of one failed download before it stays failed",
    "fleet_url": "[fleet] url: the NATS server of a fleet of idmd (nats://HOST:4222);"
    " empty: no fleet",
    "fleet_name": "[fleet] name: the fleet's name (its stream, bucket and subjects)",
    "fleet_node": "[fleet] node: this daemon's name in the fleet (empty: the host name)",
    "fleet_credentials": "[fleet] credentials: a NATS .creds file",
    "fleet_tls_ca": "[fleet] tls_ca: CA file that signs the NATS server's certificate",
    "fleet_tls_cert": "[fleet] tls_cert: client certificate file for NATS TLS",
    "fleet_tls_key": "[fleet] tls_key: the client certificate's key file",
    "fleet_ack_wait": "[fleet] ack_wait: seconds without a heartbeat before a node's jobs"
    " go to another node",
    "fleet_max_deliver": "[fleet] max_deliver: deliveries of a job (one per failed attempt)"
    " before it fails",
    "fleet_keep_ended": "[fleet] keep_ended: ended jobs whose records the fleet keeps (the"
    " newest); older ones are purged",
    "fleet_keep_ended_days": "[fleet] keep_ended_days: days an ended job's record stays in the"
    " fleet (fractions allowed; 0: no limit by age)",
}

_TYPES = {f.name: f.type for f in dataclasses.fields(Config)}
_LISTS = tuple(name for name, kind in _TYPES.items() if kind == "tuple[str, ...]")
FLEET_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")  # safe in NATS subjects, stream and bucket names
MAX_BYTES = 1 << 40  # bounds sizes and rates: 1 TiB (per second) is beyond any real link
# Bytes (per second): written with a unit too, "500K", "2M" (idmd.core.units).
SIZED = frozenset({"min_split", "speed_limit"})


def _flatten_fleet(patch: dict[str, Any]) -> dict[str, Any]:
    """``[fleet] url = …`` (a table in config.toml, or
    ``{"fleet": {…}}`` in a patch) is ``fleet_url``."""
    table = patch.get("fleet")
    if table is None:
        return patch
    if not isinstance(table, dict):
        raise ConfigError("config key 'fleet' must be a table ([fleet] url = ...)")
    flat = {k: v for k, v in patch.items() if k != "fleet"}
    for key, value in table.items():
        if f"fleet_{key}" not in FIELDS:
            raise ConfigError(f"unknown config key 'fleet.{key}'")
        flat[f"fleet_{key}"] = value
    return flat


def _coerce(key: str, value: Any) -> Any:
    kind = _TYPES[key]
    if key in SIZED and isinstance(value, str):
        try:
            return parse_size(value)
        except UnitError as exc:
            raise ConfigError(f"config key {key!r}: {exc}") from None
    try:
        if kind == "bool":
            return _boolean(value)
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, (int, str)) or len(str(value)) > 20:
                raise TypeError
            number = int(value)
            if not -(2**63) <= number < 2**63:  # what TOML and SQLite can hold
                raise ConfigError(f"config key {key!r} is out of range")
            return number
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise TypeError
            real = float(value)
            if not math.isfinite(real):  # NaN or inf would reach every subscriber as bare tokens
                raise ValueError
            return real
        if kind == "str":
            if not isinstance(value, str):
                raise TypeError
            return value
        if kind == "bool":
            if isinstance(value, str) and value.lower() in (
                "true",
                "false",
            ):  # idm config set KEY false
                return value.lower() == "true"
            if not isinstance(value, bool):
                raise TypeError
            return value
        if kind.startswith("dict"):
            if not isinstance(value, dict):
                raise TypeError
            return copy.deepcopy(value)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise TypeError
        return tuple(value)
    except (TypeError, ValueError):
        raise ConfigError(f"config key {key!r} has a value of the wrong type") from None


def _boolean(value: Any) -> bool:
    """true/false, also as the words ``idm config set``
    passes: true, false, on, off, yes, no, 1, 0."""
    if isinstance(value, bool):
        return value
    words = {
        "true": True,
        "on": True,
        "yes": True,
        "1": True,
        "false": False,
        "off": False,
        "no": False,
        "0": False,
    }
    if isinstance(value, str) and value.strip().lower() in words:
        return words[value.strip().lower()]
    raise TypeError


def read_toml(path: Path) -> dict[str, Any]:
    """The table in ``path``; a missing file is an empty one."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def build_config(*layers: dict[str, Any]) -> Config:
    """The defaults with each layer applied in turn (file, run-time changes, command line)."""
    config = Config()
    for layer in layers:
        config = config.patched(layer)
    return config


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> Config:
    """Read ``path`` (a missing file is an empty one) and apply ``overrides``."""
    return build_config(read_toml(path), overrides or {})


def to_toml(config: Config) -> str:
    """The effective config as TOML, each key with its comment."""
    lines = []
    for key, value in config.to_dict().items():
        lines.append(f"# {FIELDS[key]}")
        lines.append(toml_line(key, value))
    return "\n".join(lines) + "\n"


def toml_line(key: str, value: Any) -> str:
    """``key = value`` in TOML for the value types a Config holds."""
    return f"{key} = {_toml_value(value)}"


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, (list, tuple)):
        return f"[{', '.join(_toml_value(v) for v in value)}]"
    if isinstance(value, dict):  # an inline table: categories, actions
        return (
            "{"
            + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _toml_key(key: str) -> str:
    return (
        key
        if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
        else _toml_str(key)
    )


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
