"""The name of a plain file fetched in media mode.

yt-dlp's generic extractor accepts any URL: it names the result after the
path without its extension and, for a type it does not know (``.txt``,
``.zip``), gives the extension ``unknown_video``. Such a job is a plain file,
so it keeps the file's own name and extension, as the HTTP engine would.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from idmd.core.filenames import sanitize, split_ext

UNKNOWN_EXT = "unknown_video"  # yt-dlp's word for "no idea what this is"


def plain_file_name(url: str, ext: str | None) -> str | None:
    """The URL's own file name when yt-dlp could not tell the type; else None (use the title)."""
    if ext != UNKNOWN_EXT:
        return None
    last = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if not last or not split_ext(last)[1]:
        return None
    return sanitize(last)
