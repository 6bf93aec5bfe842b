"""The add dialog's fields read against the options declaration: URLs one a
line, a folder made absolute against the user's directory, and each error
kept for its own field."""

from __future__ import annotations

from idm_tui.add_form import FormText, field_of, parse_headers, read_form
from idmd.protocol.options import BY_NAME

CWD = "/home/someone/work"


def test_several_urls_and_every_option_become_the_options_the_daemon_takes() -> None:
    form = read_form(
        FormText(
            urls="https://a.example/1.iso\n\n  https://a.example/2.iso  \n",
            dir="rel/sub",
            connections="4",
            checksum="SHA256=" + "AB" * 32,
            headers="X-Token: 1\nAccept:  text/plain \n",
        ),
        CWD,
    )
    assert form.errors == {}
    assert form.urls == ["https://a.example/1.iso", "https://a.example/2.iso"]
    assert form.options == {
        "dir": "/home/someone/work/rel/sub",  # the user's directory, not the daemon's
        "connections": 4,
        "checksum": "sha256=" + "ab" * 32,
        "headers": {"X-Token": "1", "Accept": "text/plain"},
    }


def test_an_absolute_or_home_folder_stays_where_it_points() -> None:
    assert (
        read_form(FormText(urls="https://a.example/f", dir="/srv/x/../y"), CWD).options["dir"]
        == "/srv/y"
    )
    home = read_form(FormText(urls="https://a.example/f", dir="~/dl"), CWD).options["dir"]
    assert home.startswith("/") and home.endswith("/dl") and "~" not in home


def test_each_error_belongs_to_its_field_with_the_declared_limits() -> None:
    connections = BY_NAME["connections"]
    form = read_form(
        FormText(
            urls="https://a.example/1\nftp:/nope",
            filename="x.bin",
            connections=str(connections.high + 1),
            checksum="sha1=abc",
            headers="no colon here",
        ),
        CWD,
    )
    assert form.errors["urls"] == "line 2: not a URL: it should start with http:// or https://"
    assert "one URL" in form.errors["filename"]
    assert (
        form.errors["connections"]
        == f"must be an integer from {connections.low} to {connections.high}"
    )
    assert (
        "sha1" in form.errors["checksum"] and "40" in form.errors["checksum"]
    )  # the length is the problem
    assert form.errors["headers"] == "line 1: expected Name: Value"
    assert read_form(FormText(urls=""), CWD).errors == {"urls": "give a URL (several: one a line)"}
    ftp = read_form(FormText(urls="https://a/\nftp://h/f"), CWD).errors["urls"]
    assert (
        ftp == "line 2: only http and https URLs can be downloaded, not 'ftp://h/f'"
    )  # as the daemon says
    assert (
        "Host is set by idmd"
        in read_form(FormText(urls="https://a/", headers="Host: x"), CWD).errors["headers"]
    )


def test_helpers() -> None:
    assert parse_headers("A: 1\n\nB:2") == {"A": "1", "B": "2"}
    assert field_of("items[2].options.dir") == "dir" and field_of("options.checksum") == "checksum"
    assert field_of("items[0].url") == "urls" and field_of("options.quality") == "urls"
