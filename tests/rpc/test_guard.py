from idmd.rpc.guard import bearer_token, host_allowed, origin_allowed


def test_host_must_be_loopback_with_the_port() -> None:
    assert host_allowed("127.0.0.1:8765", 8765)
    assert host_allowed("LOCALHOST:8765", 8765)
    assert host_allowed("[::1]:8765", 8765)
    for bad in (None, "", "127.0.0.1", "127.0.0.1:80", "evil.com:8765", "127.0.0.1.evil.com:8765",
                "localhost.:8765", "0.0.0.0:8765"):
        assert not host_allowed(bad, 8765), bad


def test_origin_is_absent_an_extension_or_configured() -> None:
    assert origin_allowed(None)
    assert origin_allowed("chrome-extension://abcdef")
    assert origin_allowed("moz-extension://uuid")
    assert origin_allowed("http://localhost:3000", ["http://localhost:3000"])
    for bad in ("http://localhost:3000", "https://evil.com", "null", "chrome-extension://", "file://"):
        assert not origin_allowed(bad), bad


def test_bearer_token_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer ") is None
    assert bearer_token(None) is None
