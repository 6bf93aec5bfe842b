"""Config keys changed while the daemon runs (``config.set``: ``idm config set``,
the TUI's limit dialog) are kept in ``runtime.toml`` beside ``config.toml``.

They apply over the file on a reload (SIGHUP) and after a restart. The most
recent change wins: a key the user edits in ``config.toml`` afterwards takes the
file's value on the next reload and is dropped from ``runtime.toml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from idmd.config import read_toml, toml_line
from idmd.instance import write_private


def runtime_file(config_file: Path) -> Path:
    return config_file.with_name("runtime.toml")


HEADER = (
    "# Settings changed while idmd ran (idm config set, idm-tui). They apply over\n"
    "# config.toml; editing a key in config.toml and reloading makes the file win again.\n"
)


def read_runtime(path: Path) -> dict[str, Any]:
    return read_toml(path)


def write_runtime(path: Path, values: dict[str, Any]) -> None:
    """Replace ``path`` atomically (mode 0600); no keys: the file goes away."""
    if not values:
        path.unlink(missing_ok=True)
        return
    write_private(path, HEADER + "".join(toml_line(k, v) + "\n" for k, v in sorted(values.items())))


def edited_keys(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """Keys whose value in config.toml differs between two reads."""
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
