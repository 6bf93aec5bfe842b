"""A URL's user and password taken out of it (idmd.core.userinfo)."""

from __future__ import annotations

from idmd.core.userinfo import split_credentials


def test_the_password_leaves_the_url_for_the_options() -> None:
    assert split_credentials("https://al%40ice:p%3Ass@host:8443/f?x=1", {}) == (
        "https://host:8443/f?x=1",
        {"user": "al@ice", "password": "p:ss"},
    )
    assert split_credentials("http://bob@host/f", {"connections": 2}) == (
        "http://host/f",
        {"connections": 2, "user": "bob"},
    )


def test_options_given_win_and_a_plain_url_is_unchanged() -> None:
    assert split_credentials("http://a:b@host/", {"password": "other"})[1] == {
        "user": "a",
        "password": "other",
    }
    assert split_credentials("http://host/@x", {}) == ("http://host/@x", {})
