"""What the runner sends the worker and how it names the file (pure)."""

from __future__ import annotations

from idmd.engine.media.request import base_request, media_filename, request_headers


def test_a_hostile_title_becomes_one_safe_name_with_the_right_extension() -> None:
    name = media_filename("../../etc/passwd\x00 <clip>", "webm")
    assert "/" not in name and "\x00" not in name and not name.startswith(".")
    assert name.endswith(".webm")


def test_a_title_longer_than_a_file_name_is_cut_but_keeps_its_extension() -> None:
    name = media_filename("é" * 400, "mp4")
    assert len(name.encode()) <= 255 and name.endswith(".mp4")


def test_the_users_filename_wins_and_gets_an_extension_only_when_it_has_none() -> None:
    assert media_filename("Title", "mp4", "holiday") == "holiday.mp4"
    assert media_filename("Title", "mp4", "holiday.mkv") == "holiday.mkv"


def test_headers_cookies_and_referer_reach_yt_dlp() -> None:
    headers = request_headers(
        {
            "headers": {"X-A": "1"},
            "cookies": {"sid": "s"},
            "referer": "http://127.0.0.1/page",
            "user_agent": "UA",
        }
    )
    assert headers == {
        "X-A": "1",
        "Cookie": "sid=s",
        "Referer": "http://127.0.0.1/page",
        "User-Agent": "UA",
    }


def test_without_a_user_agent_yt_dlp_keeps_its_own() -> None:
    assert "User-Agent" not in request_headers({})


def test_the_quality_becomes_the_format_and_ffmpeg_is_passed_on() -> None:
    request = base_request("http://127.0.0.1/v", {"quality": "360p"}, "/usr/bin/ffmpeg")
    assert request["format"] == "bv*[height<=?360]+ba/b[height<=?360]/b"
    assert request["ffmpeg"] == "/usr/bin/ffmpeg"
    assert "+" not in base_request("http://127.0.0.1/v", {"quality": "360p"}, None)["format"]
