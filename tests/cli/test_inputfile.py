"""aria2c's input-file form read into (URL, options): idmd.cli.inputfile."""

from __future__ import annotations

import pytest

from idmd.cli.inputfile import InputFileError, parse


def test_urls_with_aria2_and_idm_option_lines() -> None:
    entries = parse(
        "# mirrors of two files\n"
        "https://a.example/one.iso\thttps://mirror.example/one.iso\n"
        "  dir=/srv/isos\n"
        "  out=first.iso\n"
        "  header=Authorization: Bearer x\n"
        "  header=X-Two: 2\n"
        "  split=8\n"
        "  max-download-limit=500K\n"
        "  checksum=sha-1=" + "A" * 40 + "\n"
        "  referer=https://a.example/\n"
        "  user-agent=Example/1\n"
        "\n"
        "https://b.example/two.bin\n"
        "\ton-duplicate=skip\n"
        "\tpriority=7\n"
        "\tplaylist=false\n"
    )

    assert [(e.url, e.line) for e in entries] == [
        ("https://a.example/one.iso", 2),
        ("https://b.example/two.bin", 13),
    ]
    assert entries[0].options == {
        "dir": "/srv/isos",
        "filename": "first.iso",
        "headers": {"Authorization": "Bearer x", "X-Two": "2"},
        "connections": 8,
        "speed_limit": 500 * 1024,
        "checksum": "sha1=" + "a" * 40,
        "referer": "https://a.example/",
        "user_agent": "Example/1",
    }
    assert entries[1].options == {"on_duplicate": "skip", "priority": 7, "playlist": False}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  dir=/x\nhttps://a/\n", "line 1: an option before the first URL"),
        ("https://a/\n  colour=red\n", "line 2: 'colour=red' is not a known option=value"),
        ("https://a/\n  split=many\n", "line 2: connections wants a whole number"),
        ("https://a/\n  max-download-limit=fast\n", "line 2: 'fast' is not a size: expected"),
        ("https://a/\n  header=nocolon\n", "line 2: header wants 'Name: value'"),
        (
            "x\nhttps://a/\n  split=99\n",
            "line 2: options.connections: must be an integer from 1 to 32",
        ),
        (
            "https://a/\n  checksum=sha1=abc\n",
            "line 1: options.checksum: a sha1 checksum is 40 hex digits",
        ),
    ],
)
def test_a_bad_line_is_refused_with_its_number(text: str, message: str) -> None:
    with pytest.raises(InputFileError) as caught:
        parse(text)

    assert str(caught.value).startswith(message)


def test_blank_lines_and_comments_only_give_nothing() -> None:
    assert parse("\n# nothing here\n   \n") == []
