"""What to do after a download: the named actions of config.toml's ``[actions]``
table (move the file to a folder, run a command on it, a desktop notification), read and
checked here. One action is built in: ``notify``, a notification alone (a config action
of that name replaces it).

Pure: a job or a category names an action; running it (a process without a
shell, a timeout, the job log) is idmd/engine/after.py's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idmd.core.categories import folder_problem

NONE = "none"  # a job's ``after``: do nothing, whatever its category says
NOTIFY = "notify"  # the built-in action: a desktop notification on completion and on failure
DEFAULT_TIMEOUT = 300.0
MAX_TIMEOUT = 86400.0
KEYS = frozenset({"move", "run", "timeout", "notify"})
# Replaced inside each argument of ``run`` (plain text replacement, never a shell).
PLACEHOLDERS = ("{path}", "{dir}", "{name}", "{id}")
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))


class ActionError(ValueError):
    """An ``[actions]`` table that cannot be used; the text says which key and why."""


@dataclass(frozen=True)
class Action:
    name: str
    move: str = (
        ""  # a folder (relative to the download folder, or absolute inside it or allowed_dirs)
    )
    run: tuple[str, ...] = ()  # argv, no shell; the file's path is appended unless {path} appears
    timeout: float = DEFAULT_TIMEOUT
    notify: bool = False  # a desktop notification when the job completes or fails


BUILT_IN = {NOTIFY: Action(NOTIFY, notify=True)}


def parse(table: Mapping[str, Any]) -> dict[str, Action]:
    """The actions of config.toml's ``[actions.NAME]`` tables, by name, and the built-in ones."""
    if not isinstance(table, Mapping):
        raise ActionError("actions must be a table of actions")
    return {**BUILT_IN, **{str(name): _action(str(name), rules) for name, rules in table.items()}}


def _action(name: str, rules: Any) -> Action:
    where = f"actions.{name}"
    if not name or name == NONE or len(name) > 64 or not name.isprintable():
        raise ActionError(f"{where}: an action name is 1-64 printable characters, not {NONE!r}")
    if not isinstance(rules, Mapping):
        raise ActionError(f"{where} must be a table (move, run, timeout)")
    unknown = sorted(set(rules) - KEYS)
    if unknown:
        raise ActionError(
            f"{where}: unknown key {unknown[0]!r} (known: move, run, timeout, notify)"
        )
    move = rules.get("move", "")
    if not isinstance(move, str) or "\0" in move:
        raise ActionError(f"{where}.move must be a folder")
    run = rules.get("run", [])
    if (
        not isinstance(run, list)
        or not all(isinstance(a, str) and "\0" not in a for a in run)
        or (run and not run[0].strip())
    ):
        raise ActionError(
            f'{where}.run must be a command as a list of strings: ["program", "arg", …]'
        )
    notify = rules.get("notify", False)
    if not isinstance(notify, bool):
        raise ActionError(f"{where}.notify must be true or false")
    if not move and not run and not notify:
        raise ActionError(
            f'{where} does nothing: give it move = "FOLDER", run = ["program", …] or notify = true'
        )
    timeout = rules.get("timeout", DEFAULT_TIMEOUT)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT)
    ):
        raise ActionError(
            f"{where}.timeout must be a number of seconds, more than 0 and at most {MAX_TIMEOUT:g}"
        )
    return Action(name, move, tuple(run), float(timeout), notify)


def check_folders(
    actions: Mapping[str, Action], download_dir: Path | None, allowed: Sequence[Path]
) -> None:
    """Refuse a ``move`` folder outside the download folder and ``allowed_dirs``."""
    roots = [*([download_dir] if download_dir else []), *allowed]
    for action in actions.values():
        problem = folder_problem(action.move, roots) if action.move else None
        if problem:
            raise ActionError(f"actions.{action.name}.move: {problem}")


def argv(command: Sequence[str], path: Path, job_id: str) -> list[str]:
    """The command's arguments for one file: placeholders replaced, the path appended when
    no argument names it (as IDM passes the file to the program)."""
    values = {"{path}": str(path), "{dir}": str(path.parent), "{name}": path.name, "{id}": job_id}
    # One pass, so a file name that itself contains "{name}" is not replaced again.
    out = [_PLACEHOLDER.sub(lambda m: values[m.group(0)], arg) for arg in command]
    if not any("{path}" in arg for arg in command):
        out.append(str(path))
    return out
