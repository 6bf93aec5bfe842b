"""Proxy URLs: checked, shown without a password, and chosen per request."""

from __future__ import annotations

import pytest

from idmd.config import Config, ConfigError
from idmd.core.proxyurl import (
    DIRECT,
    ProxyUrlError,
    Route,
    address,
    bypassed,
    check_proxy,
    masked,
    route,
)
from idmd.core.userinfo import scrub, secrets_of, split_proxy_password


@pytest.mark.parametrize(
    ("given", "clean"),
    [
        ("socks5://u:p@127.0.0.1:1080", "socks5://u:p@127.0.0.1:1080"),
        ("proxy.lan:3128", "http://proxy.lan:3128"),
        ("HTTP://proxy.lan", "http://proxy.lan:80"),
        ("socks5h://[::1]", "socks5h://[::1]:1080"),
        ("direct", "direct"),
    ],
)
def test_proxy_urls_are_normalised(given: str, clean: str) -> None:
    assert check_proxy(given) == clean


@pytest.mark.parametrize(
    "bad", ["ftp://h:21", "http://:80", "http://h:99999", "http://h:1/path", "socks5://"]
)
def test_what_is_not_a_proxy_url_is_refused(bad: str) -> None:
    with pytest.raises(ProxyUrlError):
        check_proxy(bad)


def test_a_proxy_is_shown_without_its_password() -> None:
    assert address("socks5://u:p%40ss@h:1080") == "socks5://h:1080"
    assert masked("socks5://u:p%40ss@h:1080") == "socks5://u:***@h:1080"
    assert masked("http://h:1") == "http://h:1"


def test_the_password_leaves_the_proxy_option_for_proxy_password() -> None:
    options = split_proxy_password({"proxy": "http://u:p%40ss@h:8080"})
    assert options == {"proxy": "http://u@h:8080", "proxy_password": "p@ss"}
    assert (
        split_proxy_password({"proxy": "http://u:x@h:1", "proxy_password": "given"})[
            "proxy_password"
        ]
        == "given"
    )


def test_passwords_are_scrubbed_from_text_as_given_and_as_quoted() -> None:
    secrets = secrets_of({"password": "a b", "proxy_password": "p@ss"})
    assert (
        scrub("socks5://u:p%40ss@h and p@ss and a b", secrets) == "socks5://u:***@h and *** and ***"
    )


@pytest.mark.parametrize(
    ("url", "no_proxy", "bypass"),
    [
        ("http://example.org/f", ["example.org"], True),
        ("http://cdn.example.org/f", [".example.org"], True),
        ("http://cdn.example.org/f", ["example.org"], True),
        ("http://badexample.org/f", ["example.org"], False),
        ("http://10.1.2.3/f", ["10.0.0.0/8"], True),
        ("http://h:8080/f", ["h:8080"], True),
        ("http://h:9090/f", ["h:8080"], False),
        ("https://h/f", ["h:443"], True),
        ("http://any/f", ["*"], True),
        ("http://any/f", [], False),
    ],
)
def test_no_proxy_matches_as_curl_does(url: str, no_proxy: list[str], bypass: bool) -> None:
    assert bypassed(url, no_proxy) is bypass


def test_the_job_proxy_wins_then_the_config_then_the_environment() -> None:
    assert route("http://a/f", "socks5://j:1", "http://c:1", ["a"]) == Route("socks5://j:1")
    assert route("http://a/f", None, "http://c:1", ["a"]) == Route(DIRECT)
    assert route("http://b/f", None, "http://c:1", ["a"]) == Route("http://c:1")
    assert route("http://b/f", None, "", []) == Route(DIRECT)
    assert Route(DIRECT).for_ytdlp == ""


def test_the_environment_proxy_is_used_per_scheme_and_no_proxy_bypasses_it() -> None:
    env = {"http": "proxy.lan:3128", "https": "socks5://s:1080", "no": "localhost,.internal"}
    assert route("http://a/f", None, "", [], env) == Route("http://proxy.lan:3128")
    assert route("https://a/f", None, "", [], env) == Route("socks5://s:1080")
    assert route("https://x.internal/f", None, "", [], env) == Route(DIRECT)
    assert route("ftp://a/f", None, "", [], {"all": "http://p:1"}) == Route("http://p:1")
    assert route("http://a/f", None, "", [], {"http": "::not a url::"}) == Route(DIRECT)


def test_the_config_refuses_a_bad_proxy_and_masks_a_good_ones_password() -> None:
    with pytest.raises(ConfigError, match="proxy"):
        Config().patched({"proxy": "gopher://h:70"})
    config = Config().patched({"proxy": "socks5://u:secret@h:1080", "no_proxy": ["localhost"]})
    assert config.public()["proxy"] == "socks5://u:***@h:1080"
    assert config.to_dict()["proxy"] == "socks5://u:secret@h:1080"
