"""Quality names to yt-dlp format selections, and what a probe really offers.

Pure: the media runner hands the selection to the worker and shows the user
why a quality was lowered (no ffmpeg to merge, or no such height); the worker
summarises yt-dlp's info dicts here into what ``jobs.probe`` returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Heights the user can ask for, largest first (docs/protocol.md, options.quality).
HEIGHTS: tuple[int, ...] = (2160, 1440, 1080, 720, 480, 360)
QUALITIES: tuple[str, ...] = ("best", *(f"{h}p" for h in HEIGHTS), "audio")

NO_FFMPEG = "ffmpeg is not installed: only formats that need no merge were considered"


@dataclass(frozen=True, slots=True)
class FormatChoice:
    """A yt-dlp format selection and, when it is a compromise, the reason."""

    selector: str
    may_merge: bool
    note: str | None = None


def height_of(quality: str) -> int | None:
    """720 for ``720p``; None for ``best``, ``audio`` or anything else."""
    if quality.endswith("p") and quality[:-1].isdigit():
        return int(quality[:-1])
    return None


def choose_format(quality: str | None, *, ffmpeg: bool, raw: str | None = None) -> FormatChoice:
    """The selection for ``quality`` (default ``best``); ``raw`` (options.format) wins.

    ``height<=?`` keeps formats whose height is unknown (a bare MP4 has none),
    so a quality filter never rejects the only format there is.
    """
    if raw:
        return FormatChoice(raw, may_merge=ffmpeg, note=None if ffmpeg else NO_FFMPEG)
    quality = quality or "best"
    if quality not in QUALITIES:
        raise ValueError(f"unknown quality {quality!r}; one of {', '.join(QUALITIES)}")
    if quality == "audio":
        return FormatChoice("ba/b", may_merge=False)
    height = height_of(quality)
    if ffmpeg:
        if height is None:
            return FormatChoice("bv*+ba/b", may_merge=True)
        return FormatChoice(f"bv*[height<=?{height}]+ba/b[height<=?{height}]/b", may_merge=True)
    # Without ffmpeg: a format that already holds video and audio, then the
    # nearest one above the height, and only then video without separate audio.
    if height is None:
        return FormatChoice("b/b*", may_merge=False, note=NO_FFMPEG)
    sel = f"b[height<=?{height}]/w/b*[height<=?{height}]/b*"
    return FormatChoice(sel, may_merge=False, note=NO_FFMPEG)


def quality_of_height(height: int) -> str:
    """The smallest quality whose filter admits ``height`` (what choosing it yields)."""
    for h in reversed(HEIGHTS):
        if height <= h:
            return f"{h}p"
    return "best"


def available_qualities(formats: Iterable[Mapping[str, Any]]) -> list[str]:
    """The qualities this list of formats really has, in QUALITIES order.

    ``best`` is always there; a height quality when some video format has that
    height class; ``audio`` when there is an audio-only format.
    """
    found = {"best"}
    for fmt in formats:
        height = fmt.get("height")
        vcodec, acodec = fmt.get("vcodec"), fmt.get("acodec")
        if isinstance(height, int) and height > 0 and vcodec != "none":
            found.add(quality_of_height(height))
        if vcodec == "none" and acodec not in (None, "none"):
            found.add("audio")
    return [q for q in QUALITIES if q in found]


def lowered_note(
    quality: str | None,
    got_height: int | None,
    heights: Iterable[int],
    *,
    ffmpeg: bool,
    has_audio: bool,
) -> str | None:
    """Why the chosen format is not what was asked for, or None when it is.

    ``heights`` are the heights of every format the URL offers, so a quality
    lowered because its only formats need a merge is told apart from a
    quality the site simply does not have.
    """
    notes = []
    wanted = height_of(quality or "best")
    offered = [h for h in heights if wanted is None or h <= wanted]
    if not ffmpeg and got_height is not None and offered and got_height < max(offered):
        notes.append(f"{max(offered)}p needs a merge; got {got_height}p")
    elif wanted is not None and got_height is not None and got_height > wanted:
        notes.append(f"nothing at or below {wanted}p; got {got_height}p")
    if not has_audio and quality != "audio":
        notes.append("the chosen format has no audio")
    if not notes:
        return None
    if not ffmpeg:
        notes.insert(0, "ffmpeg is not installed")
    return "; ".join(notes)


def format_summary(fmt: dict[str, Any]) -> dict[str, Any]:
    """The fields of a format that jobs.probe shows (docs/protocol.md, jobs.probe)."""
    return {
        "id": fmt.get("format_id"),
        "ext": fmt.get("ext"),
        "height": fmt.get("height"),
        "width": fmt.get("width"),
        "fps": fmt.get("fps"),
        "vcodec": fmt.get("vcodec"),
        "acodec": fmt.get("acodec"),
        "filesize": fmt.get("filesize") or fmt.get("filesize_approx"),
        "tbr": fmt.get("tbr"),
        "protocol": fmt.get("protocol"),
        "note": fmt.get("format_note"),
    }


def info_summary(info: dict[str, Any]) -> dict[str, Any]:
    """Kind, title, formats, qualities and playlist entries of an extracted info dict."""
    if info.get("_type") in ("playlist", "multi_video"):
        entries = [
            {"index": i, "url": entry_url(e, info), "title": e.get("title"), "id": e.get("id")}
            for i, e in enumerate(info.get("entries") or [], 1)
            if e
        ]
        return {
            "kind": "playlist",
            "id": info.get("id"),
            "title": info.get("title"),
            "entries": entries,
        }
    formats = info.get("formats") or [info]
    return {
        "kind": "media",
        "id": info.get("id"),
        "title": info.get("title"),
        "duration": info.get("duration"),
        "thumbnail": info.get("thumbnail"),
        "extractor": info.get("extractor_key") or info.get("extractor"),
        "formats": [format_summary(f) for f in formats],
        "qualities": available_qualities(formats),
        "heights": sorted({f["height"] for f in formats if isinstance(f.get("height"), int)}),
    }


def entry_url(entry: dict[str, Any], playlist: dict[str, Any]) -> str | None:
    """The URL that a job for this entry downloads.

    A flat entry has its own URL; media embedded in one page (several
    ``<video>``) share the page's URL, so their best format's URL is used.
    """
    if entry.get("_type") == "url" and entry.get("url"):
        return str(entry["url"])
    page = entry.get("webpage_url")
    if page and page != playlist.get("webpage_url"):
        return str(page)
    formats = entry.get("formats") or []
    return (formats[-1].get("url") if formats else None) or entry.get("url") or page
