"""yt-dlp's error messages sorted into what the runner does with them, and a playlist found."""

from __future__ import annotations

import pytest

from idmd.engine.media import PlaylistFound
from idmd.engine.media.request import RETRIED_KINDS, error_code
from idmd.engine.media_worker import error_kind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("[generic] Unsupported URL: http://127.0.0.1/x", "unsupported"),
        ("The uploader has not made this video available in your country", "geo"),
        ("This video is only available for registered users; geo restricted", "geo"),
        ("Sign in to confirm your age. This video may be inappropriate for some users.", "age"),
        ("Sign in to confirm you're not a bot. Use --cookies-from-browser", "login"),
        ("This is a private video. Sign in if you've been granted access", "login"),
        ("Unable to download webpage: HTTP Error 503: Service Unavailable", "network"),
        ("[Errno 110] Connection timed out", "network"),
        ("fragment 3 not found, unable to continue", "network"),
        ("Unable to download webpage: HTTP Error 404: Not Found", "other"),
    ],
)
def test_errors_are_sorted_by_what_can_be_done(message: str, kind: str) -> None:
    assert error_kind(message) == kind


def test_geo_age_and_login_reach_the_user_under_their_own_names_and_only_network_is_retried() -> (
    None
):
    assert [error_code(k) for k in ("geo", "age", "login", "other")] == [
        "geo",
        "age",
        "login",
        "media",
    ]
    assert "network" in RETRIED_KINDS and not {"geo", "age", "login", "unsupported"} & RETRIED_KINDS


def test_a_playlist_found_lists_one_job_per_entry_grouped_under_the_playlist() -> None:
    found = PlaylistFound(
        {
            "id": "p",
            "title": "P",
            "entries": [
                {"index": 1, "url": "http://127.0.0.1/a"},
                {"index": 2, "url": None},
                {"index": 3, "url": "http://127.0.0.1/c"},
            ],
        }
    )
    assert found.code == "playlist" and "2 entries" in found.message
    assert found.items() == [
        {
            "url": "http://127.0.0.1/a",
            "playlist": {"id": "p", "title": "P", "index": 1, "count": 2},
        },
        {
            "url": "http://127.0.0.1/c",
            "playlist": {"id": "p", "title": "P", "index": 3, "count": 2},
        },
    ]
