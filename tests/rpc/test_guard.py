import pytest

from idmd.rpc.guard import bearer_token, host_allowed, origin_allowed


def test_host_must_be_loopback_with_the_port() -> None:
    assert host_allowed("127.0.0.1:8765", 8765)
    assert host_allowed("LOCALHOST:8765", 8765)
    assert host_allowed("[::1]:8765", 8765)
    for bad in (
        None,
        "",
        "127.0.0.1",
        "127.0.0.1:80",
        "evil.com:8765",
        "127.0.0.1.evil.com:8765",
        "localhost.:8765",
        "0.0.0.0:8765",
    ):
        assert not host_allowed(bad, 8765), bad


def test_origin_is_absent_an_extension_or_configured() -> None:
    assert origin_allowed(None)
    assert origin_allowed("chrome-extension://abcdefghijklmnopabcdefghijklmnop")
    assert origin_allowed("moz-extension://0f3c1e2a-5b6d-4c7e-8f90-123456789abc")
    assert origin_allowed("http://localhost:3000", ["http://localhost:3000"])
    for bad in (
        "http://localhost:3000",
        "https://evil.com",
        "null",
        "chrome-extension://",
        "file://",
    ):
        assert not origin_allowed(bad), bad


CHROME_ID = "nkbihfbeogaeaoehlefnkodbefgpgknn"


@pytest.mark.parametrize(
    "origin",
    [
        "chrome-extension://abcdef",
        "chrome-extension://x" * 3,
        "moz-extension://uuid",
        "chrome-extension://" + "q" * 32,
        "chrome-extension://" + CHROME_ID + "/../x",
    ],
)
def test_a_malformed_extension_origin_is_refused(origin: str) -> None:
    assert not origin_allowed(origin)


def test_extension_ids_pin_which_extensions_may_connect() -> None:
    other = "a" * 32
    assert origin_allowed(f"chrome-extension://{CHROME_ID}", (), [CHROME_ID])
    assert not origin_allowed(f"chrome-extension://{other}", (), [CHROME_ID])
    assert origin_allowed(f"chrome-extension://{other}")


def test_bearer_token_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None
