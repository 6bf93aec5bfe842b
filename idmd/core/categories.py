"""Categories: which subfolder of the download folder a file goes to, by its site,
its extension or its MIME type, as IDM sorts downloads into Compressed,
Documents, Music, Programs and Video.

Pure: the rules are read from config.toml's ``[categories]`` table here and a
category is picked from ``(filename, mime, host)``; making the folder and
moving bytes are the engine's (idmd/engine/categorize.py).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from idmd.core.folders import within

MAX_NAME = 64
KEYS = frozenset({"folder", "extensions", "mime", "hosts", "after"})


class CategoryError(ValueError):
    """A ``[categories]`` table that cannot be used; the text says which key and why."""


@dataclass(frozen=True)
class Category:
    name: str
    folder: str  # relative to the download folder, or an absolute folder inside it or allowed_dirs
    extensions: frozenset[str] = frozenset()  # lower case, without the dot
    mime: tuple[str, ...] = ()  # "application/zip" or "video/*"
    hosts: tuple[str, ...] = ()  # globs: "example.org", "*.example.org" (also example.org itself)
    after: str = ""  # the name of an action (config [actions]) run when a job of it completes


def _default(name: str, extensions: str, mime: str) -> Category:
    return Category(name, name, frozenset(extensions.split()), tuple(mime.split()))


# IDM's categories and about the same types (idm's own lists, not copied from IDM).
DEFAULTS: tuple[Category, ...] = (
    _default(
        "Compressed",
        "zip rar 7z gz tgz bz2 tbz2 xz txz zst lz lzma tar arj cab ace sit sitx",
        "application/zip application/x-zip-compressed application/x-7z-compressed "
        "application/vnd.rar "
        "application/x-rar-compressed application/gzip application/x-gzip application/x-tar "
        "application/x-bzip2 application/x-xz application/zstd",
    ),
    _default(
        "Documents",
        "pdf doc docx xls xlsx ppt pptx odt ods odp rtf txt epub csv md djvu",
        "application/pdf application/msword application/vnd.ms-excel application/vnd.ms-powerpoint "
        "application/vnd.openxmlformats-officedocument.* application/vnd.oasis.opendocument.* "
        "application/rtf application/epub+zip text/plain text/csv",
    ),
    _default("Music", "mp3 m4a aac flac ogg oga opus wav wma aif aiff mid midi ape", "audio/*"),
    _default(
        "Programs",
        "exe msi deb rpm apk dmg pkg appimage jar run snap flatpak",
        "application/x-msdownload application/vnd.microsoft.portable-executable application/x-msi "
        "application/vnd.debian.binary-package application/x-rpm "
        "application/vnd.android.package-archive "
        "application/x-apple-diskimage application/java-archive",
    ),
    _default("Video", "mp4 mkv webm avi mov wmv flv m4v mpg mpeg 3gp ogv ts m2ts vob", "video/*"),
)


def parse(table: Mapping[str, Any]) -> tuple[Category, ...]:
    """The effective categories: the defaults, changed and added to by ``table``
    (config.toml's ``[categories.NAME]`` tables). Categories the user adds come first,
    so their rules win over a default's for the same extension or type."""
    if not isinstance(table, Mapping):
        raise CategoryError("categories must be a table of categories")
    defaults = {c.name: c for c in DEFAULTS}
    added: list[Category] = []
    for name, rules in table.items():
        category = _category(str(name), rules, defaults.get(str(name)))
        if category.name in defaults:
            defaults[category.name] = category
        else:
            added.append(category)
    return (*added, *defaults.values())


def _category(name: str, rules: Any, base: Category | None) -> Category:
    where = f"categories.{name}"
    if not name or len(name) > MAX_NAME or not name.isprintable() or "/" in name or "\\" in name:
        raise CategoryError(
            f"{where}: a category name is 1-{MAX_NAME} printable characters without slashes"
        )
    if not isinstance(rules, Mapping):
        raise CategoryError(f"{where} must be a table (folder, extensions, mime, hosts, after)")
    unknown = sorted(set(rules) - KEYS)
    if unknown:
        raise CategoryError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})"
        )
    folder = rules.get("folder", base.folder if base else name)
    if not isinstance(folder, str) or not folder.strip() or "\0" in folder:
        raise CategoryError(f"{where}.folder must be a folder name")
    after = rules.get("after", base.after if base else "")
    if not isinstance(after, str):
        raise CategoryError(f"{where}.after must be the name of an action")
    return Category(
        name,
        folder,
        frozenset(e.lower().lstrip(".") for e in _strings(rules, "extensions", where, base)),
        tuple(m.lower() for m in _strings(rules, "mime", where, base)),
        tuple(h.lower() for h in _strings(rules, "hosts", where, base)),
        after,
    )


def _strings(
    rules: Mapping[str, Any], key: str, where: str, base: Category | None
) -> Iterable[str]:
    if key not in rules:
        return getattr(base, key) if base else ()
    value = rules[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CategoryError(f"{where}.{key} must be a list of strings")
    return [v.strip() for v in value]


def pick(
    categories: Iterable[Category], filename: str, mime: str = "", host: str = ""
) -> Category | None:
    """The category of a file: a site rule first (the most specific thing known), then
    the file's extension, then its MIME type; None when nothing matches."""
    categories = tuple(categories)
    host = host.lower().rstrip(".")
    if host:
        for category in categories:
            if any(host_matches(pattern, host) for pattern in category.hosts):
                return category
    extension = PurePosixPath(filename.lower()).suffix.lstrip(".")
    if extension:
        for category in categories:
            if extension in category.extensions:
                return category
    mime = mime.split(";", 1)[0].strip().lower()
    if mime:
        for category in categories:
            if any(fnmatch.fnmatchcase(mime, pattern) for pattern in category.mime):
                return category
    return None


def host_matches(pattern: str, host: str) -> bool:
    """``*.example.org`` matches example.org and every name under it; other globs as fnmatch."""
    if pattern.startswith("*.") and host == pattern[2:]:
        return True
    return fnmatch.fnmatchcase(host, pattern)


def find(categories: Iterable[Category], name: str) -> Category | None:
    """The category called ``name`` (any case), or None."""
    wanted = name.casefold()
    return next((c for c in categories if c.name.casefold() == wanted), None)


def folder_of(category: Category, download_dir: Path) -> Path:
    """Where the category's files go: its folder under ``download_dir``, or its absolute folder."""
    return Path(os.path.normpath(download_dir / category.folder))


def check_folders(
    categories: Iterable[Category], download_dir: Path | None, allowed: Iterable[Path]
) -> None:
    """Refuse a category whose folder is outside the download folder and ``allowed_dirs``
    (nothing is written anywhere else). ``download_dir`` None: not known yet (the
    platform's default), so an absolute folder must be inside ``allowed_dirs``."""
    roots = [*([download_dir] if download_dir else []), *allowed]
    for category in categories:
        problem = folder_problem(category.folder, roots)
        if problem:
            raise CategoryError(f"categories.{category.name}.folder: {problem}")


def folder_problem(folder: str, roots: list[Path]) -> str | None:
    """Why ``folder`` (relative to the download folder, or absolute) may not be used, or None."""
    path = PurePosixPath(folder)
    if not path.is_absolute():
        if ".." in path.parts:
            return f"{folder!r} leaves the download folder (..)"
        return None
    if not within(Path(folder), roots):
        shown = ", ".join(str(r) for r in roots) or "none set"
        return f"{folder!r} is outside the download folder and allowed_dirs ({shown})"
    return None
