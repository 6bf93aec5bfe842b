"""File names from headers and URLs, made safe, and made unique.

A name from a server is hostile until sanitised: no separators, no ``..``, no
control characters, bounded length, so the file always lands inside the
target folder. RFC 6266 / RFC 5987 ``filename*`` wins over ``filename``.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from idmd.core.text import valid_text

MAX_NAME_BYTES = 200  # well under the usual 255, leaving room for " (N)" and ".part"
FALLBACK = "download"
MAX_UNIQUE = 10_000  # "name (N).ext" tried before giving up: a bound, never an endless loop
_RESERVED_WINDOWS = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')


def sanitize(name: str, fallback: str = FALLBACK) -> str:
    """A safe single path component for ``name``; ``fallback`` when nothing is left."""
    name = unicodedata.normalize("NFC", valid_text(name))
    # Keep only the last component whatever the separator, so "../../x" is "x".
    name = re.split(r"[/\\]", name)[-1]
    name = _BAD_CHARS.sub("_", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cf", "Zl", "Zp"))
    name = name.strip().strip(".").strip()
    stem = name.split(".", 1)[0].upper()
    if stem in _RESERVED_WINDOWS:
        name = "_" + name
    name = _truncate(name, MAX_NAME_BYTES)
    return name or fallback


def _truncate(name: str, limit: int) -> str:
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16 or not stem:
        stem, ext = name, ""
    else:
        ext = "." + ext
    budget = limit - len(ext.encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" .")
    return cut + ext


def split_ext(name: str) -> tuple[str, str]:
    """``("name", ".ext")``; double extensions like ``.tar.gz`` stay together."""
    for double in (".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst"):
        if name.lower().endswith(double) and len(name) > len(double):
            return name[: -len(double)], name[-len(double) :]
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, "." + ext


def unique_name(name: str, taken: Callable[[str], bool]) -> str:
    """``name``, or ``name (1).ext``, ``name (2).ext``... the first that is not ``taken``."""
    if not taken(name):
        return name
    stem, ext = split_ext(name)
    for n in range(1, MAX_UNIQUE):
        candidate = _truncate(f"{stem} ({n}){ext}", MAX_NAME_BYTES + 8)
        if not taken(candidate):
            return candidate
    raise FileExistsError(f"{name}: {MAX_UNIQUE - 1} numbered names are taken")


def _params(header: str) -> dict[str, str]:
    """Parameters of a Content-Disposition value (quoted strings and tokens)."""
    params: dict[str, str] = {}
    pattern = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
    for key, value in pattern.findall(header):
        value = value.strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params.setdefault(key.lower(), value)
    return params


def parse_content_disposition(header: str | None) -> str | None:
    """The file name a Content-Disposition header gives (not yet sanitised), or None."""
    if not header:
        return None
    # Raw bytes in the header (Latin-1 names from old servers) arrive as surrogate escapes;
    # decode them as browsers do: UTF-8 when valid, else Latin-1 (RFC 6266 appendix C).
    params = _params(header)
    extended = params.get("filename*")
    if extended:
        charset, _, rest = extended.partition("'")
        _lang, _, encoded = rest.partition("'")
        if _ or encoded:
            try:
                raw = unquote_to_bytes(
                    encoded.encode("utf-8", "surrogateescape")
                )  # the bytes as sent
            except UnicodeEncodeError:
                raw = unquote_to_bytes(valid_text(encoded))
            try:
                return raw.decode(charset.strip() or "utf-8")
            except LookupError:
                pass  # an unknown charset: the plain filename, if any
            except UnicodeDecodeError:
                return raw.decode("latin-1")
    plain = valid_text(params.get("filename") or "")
    if plain:
        # Many servers percent-encode UTF-8 into plain filename; decode when it is valid.
        if "%" in plain:
            try:
                return unquote(plain, errors="strict")
            except UnicodeDecodeError:
                return plain
        return plain
    return None


def filename_from_url(url: str) -> str | None:
    """The last path component of ``url``, percent-decoded; None for ``/``."""
    path = urlsplit(url).path
    last = path.rstrip("/").rsplit("/", 1)[-1] if path.strip("/") else ""
    if not last:
        return None
    return unquote(valid_text(last), errors="replace")


def choose_filename(
    url: str, content_disposition: str | None, explicit: str | None = None, content_type: str = ""
) -> str:
    """The sanitised name: the user's, else the header's, else the URL's; a URL without a
    name is ``index`` with the content type's extension (``index.html``, as wget and
    browsers save a page), or ``HOST.download`` when the type says nothing."""
    for candidate in (
        explicit,
        parse_content_disposition(content_disposition),
        filename_from_url(url),
    ):
        if candidate:
            clean = sanitize(candidate)
            if clean != FALLBACK or candidate == FALLBACK:
                return clean
    extension = _extension_of(content_type)
    if extension:
        return "index" + extension
    host = urlsplit(url).hostname or ""
    return sanitize(host + ".download" if host else FALLBACK)


def _extension_of(content_type: str) -> str:
    """``.html`` for ``text/html``; nothing for a type that names no file kind."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if not kind or kind == "application/octet-stream":
        return ""
    return (
        {"text/html": ".html", "text/plain": ".txt"}.get(kind)
        or mimetypes.guess_extension(kind)
        or ""
    )
