"""Names from servers are hostile: sanitised, bounded, RFC 6266 aware, made unique."""

from __future__ import annotations

import pytest

from idmd.core.filenames import (
    choose_filename,
    filename_from_url,
    parse_content_disposition,
    sanitize,
    unique_name,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("/abs/path.txt", "path.txt"),
        ("a\x00b\x1fc\x7f.txt", "a_b_c_.txt"),
        ("..", "download"),
        ("   ", "download"),
        ("CON.txt", "_CON.txt"),
        ("name\u202etxt.exe", "nametxt.exe"),  # no right-to-left override tricks
        ('what?<>:"|*.bin', "what_______.bin"),
    ],
)
def test_sanitize(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = sanitize("é" * 300 + ".tar.gz")
    assert name.endswith(".gz") and len(name.encode()) <= 200
    assert sanitize("x" * 300).startswith("x") and len(sanitize("x" * 300)) == 200


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="plain.txt"', "plain.txt"),
        ("attachment; filename=token.bin", "token.bin"),
        ("attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", "€ rates.pdf"),
        ("attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%E2%82%AC.pdf", "€.pdf"),
        ("attachment; filename*=iso-8859-1'en'%A3%20rates", "£ rates"),
        ('attachment; filename="quo\\"ted.txt"', 'quo"ted.txt'),
        ("inline", None),
        (None, None),
        ("attachment; filename*=bogus-charset''x.txt; filename=y.txt", "y.txt"),
    ],
)
def test_content_disposition(header: str | None, name: str | None) -> None:
    assert parse_content_disposition(header) == name


def test_names_from_urls() -> None:
    assert filename_from_url("https://h/a/b/file%20name.iso?x=1#f") == "file name.iso"
    assert filename_from_url("https://h/") is None
    assert choose_filename("https://example.org/", None) == "example.org.download"
    # A page without a name is saved as browsers and wget save it, not as HOST.download.
    assert (
        choose_filename("http://127.0.0.1:8000/", None, content_type="text/html; charset=utf-8")
        == "index.html"
    )
    assert choose_filename("https://h/", None, content_type="application/pdf") == "index.pdf"
    assert (
        choose_filename("https://h/", None, content_type="application/octet-stream") == "h.download"
    )
    assert choose_filename("https://h/x.bin", 'attachment; filename="../y.bin"') == "y.bin"
    assert choose_filename("https://h/x.bin", None, explicit="mine.bin") == "mine.bin"


def test_unique_names_count_up_before_the_extension() -> None:
    taken = {"report.pdf", "report (1).pdf", "a.tar.gz"}
    assert unique_name("report.pdf", taken.__contains__) == "report (2).pdf"
    assert unique_name("a.tar.gz", taken.__contains__) == "a (1).tar.gz"
    assert unique_name("new.txt", taken.__contains__) == "new.txt"
