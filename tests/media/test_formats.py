"""Quality to format selection, and the qualities a URL really has (pure)."""

from __future__ import annotations

import pytest

from idmd.core.formats import (
    QUALITIES,
    available_qualities,
    choose_format,
    info_summary,
    lowered_note,
)
from idmd.protocol.jobs import QUALITIES as PROTOCOL_QUALITIES


def test_the_quality_names_are_the_protocols() -> None:
    assert QUALITIES == PROTOCOL_QUALITIES


def test_a_height_keeps_formats_of_unknown_height_and_may_merge_with_ffmpeg() -> None:
    choice = choose_format("360p", ffmpeg=True)
    assert choice.selector == "bv*[height<=?360]+ba/b[height<=?360]/b"
    assert choice.may_merge and choice.note is None


def test_without_ffmpeg_no_selection_merges_and_the_reason_is_given() -> None:
    for quality in QUALITIES:
        choice = choose_format(quality, ffmpeg=False)
        assert "+" not in choice.selector, quality
        assert not choice.may_merge
    assert "ffmpeg" in (choose_format("720p", ffmpeg=False).note or "")


def test_a_raw_format_wins_over_the_quality() -> None:
    assert choose_format("360p", ffmpeg=True, raw="137+140").selector == "137+140"


def test_an_unknown_quality_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="4k"):
        choose_format("4k", ffmpeg=True)


def test_qualities_come_from_the_heights_and_audio_only_formats() -> None:
    formats = [
        {"height": 360, "vcodec": "avc1", "acodec": "none"},
        {"height": 720, "vcodec": "avc1", "acodec": "none"},
        {"height": None, "vcodec": "none", "acodec": "mp4a"},
    ]
    assert available_qualities(formats) == ["best", "720p", "360p", "audio"]


def test_a_file_without_known_heights_offers_only_best() -> None:
    assert available_qualities([{"ext": "mp4"}]) == ["best"]


def test_an_odd_height_counts_as_the_quality_that_would_select_it() -> None:
    assert available_qualities([{"height": 404, "vcodec": "vp9"}]) == ["best", "480p"]


def test_the_note_says_why_a_quality_was_lowered_without_ffmpeg() -> None:
    note = lowered_note("720p", 360, [360, 720], ffmpeg=False, has_audio=True)
    assert note is not None and "ffmpeg" in note and "720p" in note


def test_no_note_when_the_quality_asked_for_was_had() -> None:
    assert lowered_note("720p", 720, [360, 720], ffmpeg=True, has_audio=True) is None
    assert lowered_note("best", None, [], ffmpeg=True, has_audio=True) is None


def test_the_note_says_when_audio_is_missing() -> None:
    assert "no audio" in (lowered_note("best", 720, [720], ffmpeg=False, has_audio=False) or "")


def test_a_probe_summary_of_a_playlist_lists_entries_with_their_own_urls() -> None:
    page = "http://127.0.0.1/page.html"
    info = {
        "_type": "playlist",
        "id": "page",
        "title": "Page",
        "webpage_url": page,
        "entries": [
            {"_type": "url", "url": "http://127.0.0.1/watch/1", "title": "one"},
            {
                "webpage_url": page,
                "title": "two",
                "formats": [
                    {"url": "http://127.0.0.1/low.mp4"},
                    {"url": "http://127.0.0.1/high.mp4"},
                ],
            },
        ],
    }
    summary = info_summary(info)
    assert summary["kind"] == "playlist"
    assert [(e["index"], e["url"]) for e in summary["entries"]] == [
        (1, "http://127.0.0.1/watch/1"),
        (2, "http://127.0.0.1/high.mp4"),  # yt-dlp sorts formats worst to best
    ]


def test_a_probe_summary_of_one_video_has_formats_and_qualities() -> None:
    info = {
        "id": "v",
        "title": "A video",
        "duration": 3,
        "formats": [
            {"format_id": "a", "vcodec": "none", "acodec": "opus", "filesize_approx": 1000},
            {
                "format_id": "360",
                "height": 360,
                "vcodec": "vp9",
                "acodec": "none",
                "filesize": 5000,
            },
        ],
    }
    summary = info_summary(info)
    assert summary["kind"] == "media" and summary["heights"] == [360]
    assert summary["qualities"] == ["best", "360p", "audio"]
    assert [f["filesize"] for f in summary["formats"]] == [1000, 5000]
