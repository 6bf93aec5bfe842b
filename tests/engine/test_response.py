"""The rules for trusting a response: ranges that match, validators that did not change."""

from __future__ import annotations

from idmd.engine.http.response import (
    changed_validators,
    looks_like_media,
    parse_content_range,
    range_problem,
    read_headers,
)


def test_content_range_parsing() -> None:
    cr = parse_content_range("bytes 100-199/1000")
    assert cr is not None and (cr.start, cr.end, cr.total) == (100, 199, 1000)
    unknown_total = parse_content_range("bytes 0-9/*")
    assert unknown_total is not None and unknown_total.total is None
    assert parse_content_range("bytes */1000") is not None
    assert parse_content_range("items 0-1/2") is None
    assert parse_content_range(None) is None


def test_which_answers_to_a_range_request_are_usable() -> None:
    assert range_problem(206, {"Content-Range": "bytes 100-199/1000"}, 100) is None
    assert range_problem(206, {"Content-Range": "bytes 100-999/1000"}, 100) is None  # more is fine
    assert (
        range_problem(206, {"Content-Range": "bytes 100-149/1000"}, 100) is None
    )  # less: read, then go on
    assert "ignored the Range" in (range_problem(200, {}, 100) or "")
    assert range_problem(200, {}, 0) is None  # a whole body from 0 is what was asked
    assert "asked for bytes from 100" in (
        range_problem(206, {"Content-Range": "bytes 0-99/1000"}, 100) or ""
    )
    assert range_problem(206, {}, 100) is not None


def test_validators() -> None:
    first = {"etag": '"a"', "last_modified": "Mon, 01 Jan 2024 00:00:00 GMT", "size": 10}
    assert changed_validators(first, '"a"', None, 10) is None
    assert changed_validators(first, 'W/"a"', None, 10) is None
    assert "ETag changed" in (changed_validators(first, '"b"', None, 10) or "")
    assert "size changed" in (changed_validators(first, None, None, 11) or "")
    no_etag = {"last_modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
    assert "Last-Modified" in (
        changed_validators(no_etag, None, "Tue, 02 Jan 2024 00:00:00 GMT", None) or ""
    )


def test_headers_of_a_first_response() -> None:
    info = read_headers(
        206,
        "http://h/f",
        {
            "Content-Range": "bytes 0-99/5000",
            "Content-Length": "100",
            "Content-Type": "Application/Octet-Stream; x=1",
        },
        0,
    )
    assert (info.size, info.ranges, info.content_type) == (5000, True, "application/octet-stream")
    plain = read_headers(200, "http://h/f", {"Content-Length": "42"}, 0)
    assert (plain.size, plain.ranges) == (42, False)
    gzipped = read_headers(
        200, "http://h/f", {"Content-Length": "42", "Content-Encoding": "gzip"}, 0
    )
    assert gzipped.size is None  # the decoded size is unknown


def test_pages_and_manifests_are_media_candidates() -> None:
    assert looks_like_media("text/html", "http://h/watch")
    assert looks_like_media("application/octet-stream", "http://h/live/index.m3u8?token=1")
    assert looks_like_media("application/dash+xml", "http://h/x")
    assert not looks_like_media("video/mp4", "http://h/clip.mp4")
