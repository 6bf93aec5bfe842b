"""A job's category and the folder it puts the file in, decided once the file's name
and type are known (the first response, or yt-dlp's chosen format).

The rules are idmd/core/categories.py's; this module applies them to a job:
an explicit ``options.category`` wins, a job with its own ``options.dir`` keeps
that folder, and a category folder that resolves outside the download folder
and ``allowed_dirs`` (a symlink made after the config was read) is not used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from idmd.config import Config
from idmd.core import actions, categories
from idmd.core.categories import Category
from idmd.core.folders import within
from idmd.engine.runner import JobError
from idmd.protocol.checks import bad
from idmd.protocol.models import JobOptions


@dataclass(frozen=True)
class Decision:
    category: str | None  # None: no category applies
    folder: Path  # where the file goes
    warning: str = ""  # why the category's folder was not used


def effective(config: Config) -> tuple[Category, ...]:
    """The categories in force (the config was checked when it was loaded or set)."""
    return categories.parse(config.categories)


def check_names(options: JobOptions, config: Config, path: str = "options") -> JobOptions:
    """``options.category`` and ``options.after`` name a category and an action the
    config has (the category in its own spelling); InvalidParams naming ``path`` otherwise."""
    clean = options
    name = options.get("category")
    if name:
        found = categories.find(effective(config), name)
        if found is None:
            known = ", ".join(c.name for c in effective(config))
            raise bad(f"{path}.category", f"no category {name!r} (known: {known})")
        clean = {**clean, "category": found.name}
    after = options.get("after")
    named = actions.parse(config.actions)  # with the built-in ones (notify)
    if after and after != actions.NONE and after not in named:
        known = ", ".join([actions.NONE, *named])
        raise bad(
            f"{path}.after", f"no action {after!r} in the config's [actions] (known: {known})"
        )
    return clean


def decide(
    config: Config,
    options: JobOptions,
    folder: Path,
    roots: Sequence[Path],
    filename: str,
    mime: str,
    url: str,
) -> Decision:
    """The job's category and folder. ``folder``: the job's folder so far (its ``dir``, or the
    download folder); ``roots``: where files may be written (download folder, allowed_dirs)."""
    known = effective(config)
    chosen: Category | None = None
    wanted = options.get("category")
    if wanted:
        chosen = categories.find(known, wanted)
    if chosen is None and config.use_categories and not options.get("dir"):
        chosen = categories.pick(known, filename, mime, urlsplit(url).hostname or "")
    if chosen is None:
        return Decision(None, folder)
    if options.get("dir"):
        return Decision(chosen.name, folder)  # the job's own folder wins over the category's
    target = categories.folder_of(chosen, folder)
    if not within(target, roots):
        return Decision(
            chosen.name,
            folder,
            f"category {chosen.name}: {target} is outside the download folder and allowed_dirs;"
            " using the download folder",
        )
    return Decision(chosen.name, target)


def make_folder(folder: Path) -> None:
    """Create a category's ``folder`` (and parents) when a file is about to be written there."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise JobError("io", f"cannot create {folder}: {exc.strerror or exc}") from None


def after_action(
    config: Config, options: JobOptions, category: str | None
) -> actions.Action | None:
    """What runs when the job completes: its own ``after``, else its category's, else nothing."""
    name = options.get("after")
    if not name and category:
        found = categories.find(effective(config), category)
        name = found.after if found else ""
    if not name or name == actions.NONE:
        return None
    return actions.parse(config.actions).get(name)
