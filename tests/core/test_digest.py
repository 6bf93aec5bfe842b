"""Digest authentication against the worked examples of RFC 7616 (section 3.9.1)."""

from __future__ import annotations

import pytest

from idmd.core.digest import Challenge, authorization, challenges, digest_challenge

NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
# The RFC's two challenges, as one server sends them (SHA-256 first).
HEADERS = [
    f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
    f'nonce="{NONCE}", '
    f'opaque="{OPAQUE}"'
    for algorithm in ("SHA-256", "MD5")
]


@pytest.mark.parametrize(
    ("algorithm", "response"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_the_rfc_7616_examples(algorithm: str, response: str) -> None:
    challenge = Challenge("http-auth@example.org", NONCE, algorithm, "auth", OPAQUE)
    value = authorization(
        challenge, "Mufasa", "Circle of Life", "GET", "/dir/index.html", 1, CNONCE
    )
    assert f'response="{response}"' in value
    assert "nc=00000001" in value and f'cnonce="{CNONCE}"' in value and "qop=auth" in value
    assert f'opaque="{OPAQUE}"' in value and 'uri="/dir/index.html"' in value


def test_sha_256_is_chosen_over_md5_and_auth_over_auth_int() -> None:
    challenge = digest_challenge(HEADERS[::-1])
    assert challenge == Challenge("http-auth@example.org", NONCE, "SHA-256", "auth", OPAQUE)


def test_challenges_in_one_header_and_quoted_commas() -> None:
    found = challenges(['Basic realm="a, b", Digest realm="x\\"y", nonce=abc, stale=TRUE'])
    assert found == [
        ("basic", {"realm": "a, b"}),
        ("digest", {"realm": 'x"y', "nonce": "abc", "stale": "TRUE"}),
    ]
    challenge = digest_challenge(
        ['Basic realm="a, b", Digest realm="x\\"y", nonce=abc, stale=TRUE']
    )
    assert challenge is not None and challenge.stale and challenge.qop is None


def test_what_cannot_be_answered_is_not_a_challenge() -> None:
    assert digest_challenge(['Digest realm="r", nonce="n", algorithm=SHA-512-256']) is None
    assert digest_challenge(['Digest realm="r", nonce="n", qop="auth-int"']) is None
    assert digest_challenge(['Digest realm="r"']) is None
    assert digest_challenge(['Basic realm="r"']) is None


def test_md5_sess_and_no_qop() -> None:
    old = authorization(Challenge("r", "n"), "u", "p", "GET", "/", 1, "c")
    assert "qop" not in old and "nc=" not in old
    sess = authorization(Challenge("r", "n", "MD5-SESS", "auth"), "u", "p", "GET", "/", 1, "c")
    assert "algorithm=MD5-SESS" in sess
