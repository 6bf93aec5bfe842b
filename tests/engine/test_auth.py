"""Per-site credentials on the wire: Basic and Digest (MD5, SHA-256) against local servers,
the credentials file and ~/.netrc, and a wrong password that fails at once."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
from pathlib import Path

import pytest
from aiohttp import web

from idmd.engine.credentials import CredentialError, Credentials
from tests.engine.conftest import close_harness, make_harness
from tests.engine.servers import Site, payload, serve, sha256

DATA = payload(400 * 1024)
REALM = "files@test"


class DigestServer:
    """Demands Digest (qop=auth) with ``algorithm``, checks every answer by its own arithmetic."""

    def __init__(self, algorithm: str, user: str, password: str) -> None:
        self.algorithm, self.user, self.password = algorithm, user, password
        self.nonces: set[str] = set()
        self.counts: list[str] = []
        self.refused = 0

    def challenge(self) -> web.Response:
        nonce = secrets.token_hex(8)
        self.nonces.add(nonce)
        self.refused += 1
        header = (
            f'Digest realm="{REALM}", qop="auth", algorithm={self.algorithm},'
            f' nonce="{nonce}", opaque="op"'
        )
        return web.Response(status=401, headers={"WWW-Authenticate": header})

    async def handler(self, request: web.Request) -> web.StreamResponse:
        value = request.headers.get("Authorization", "")
        if not value.startswith("Digest "):
            return self.challenge()
        fields = {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', value[7:])}
        algo = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}[self.algorithm]

        def h(text: str) -> str:
            return algo(text.encode()).hexdigest()

        ha1 = h(f"{self.user}:{REALM}:{self.password}")
        ha2 = h(f"GET:{request.path_qs}")
        expected = h(f"{ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:auth:{ha2}")
        if (
            fields.get("response") != expected
            or fields["nonce"] not in self.nonces
            or fields.get("uri") != request.path_qs
            or fields.get("opaque") != "op"
            or fields.get("username") != self.user
        ):
            return self.challenge()
        self.counts.append(fields["nc"])
        return await serve(request, DATA)


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
async def test_digest_authentication(tmp_path: Path, site: Site, algorithm: str) -> None:
    server = DigestServer(algorithm, "alice", "wonder land")
    site.route("/d.bin", server.handler)
    await site.start()
    harness = await make_harness(tmp_path)
    try:
        job = await harness.download(
            site.url("/d.bin?x=1"), user="alice", password="wonder land", connections=3
        )
        assert job["status"] == "completed", job["error"]
        assert sha256(Path(job["path"]).read_bytes()) == sha256(DATA)
        assert (
            len(set(server.counts)) == len(server.counts) >= 2
        )  # the nonce count goes up across connections
    finally:
        await close_harness(harness)


async def test_a_wrong_digest_password_fails_with_a_clear_message_and_is_not_retried(
    tmp_path: Path, site: Site
) -> None:
    server = DigestServer("SHA-256", "alice", "right")
    site.route("/d.bin", server.handler)
    await site.start()
    harness = await make_harness(tmp_path, retries=5)
    try:
        job = await harness.download(site.url("/d.bin"), user="alice", password="wrong")
        assert job["status"] == "failed"
        assert job["error"] == {"code": "auth", "message": "authentication failed for 127.0.0.1"}
        assert site.hits["/d.bin"] == 2  # Basic, then one Digest answer: no more
    finally:
        await close_harness(harness)


def basic_site(site: Site, user: str, password: str) -> None:
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    async def handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="t"'})
        return await serve(request, DATA)

    site.route("/b.bin", handler)


async def test_stored_credentials_are_used_and_kept_in_a_private_file(
    tmp_path: Path, site: Site
) -> None:
    basic_site(site, "bob", "pa:ss")
    await site.start()
    store = Credentials(tmp_path / "conf" / "credentials.json")
    store.add(f"127.0.0.1:{site.server.port}", "bob", "pa:ss")  # type: ignore[union-attr]
    assert os.stat(tmp_path / "conf" / "credentials.json").st_mode & 0o777 == 0o600
    assert store.list() == [{"host": f"127.0.0.1:{site.server.port}", "user": "bob"}]  # type: ignore[union-attr]
    harness = await make_harness(
        tmp_path, credentials=Credentials(tmp_path / "conf" / "credentials.json")
    )  # read back
    try:
        job = await harness.download(site.url("/b.bin"))
        assert job["status"] == "completed", job["error"]
        assert "bob" not in str(job["options"])
        assert any("stored credentials" in line for line in harness.events.logs(job["id"]))
    finally:
        await close_harness(harness)


async def test_netrc_is_read_when_nothing_is_stored(tmp_path: Path, site: Site) -> None:
    basic_site(site, "carol", "from netrc")
    await site.start()
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text(
        "machine example.org login x password y\n"
        'machine 127.0.0.1 login carol password "from netrc"\n'
    )
    netrc_file.chmod(0o600)
    credentials = Credentials(tmp_path / "credentials.json", netrc_file)
    harness = await make_harness(tmp_path, credentials=credentials)
    try:
        job = await harness.download(site.url("/b.bin"))
        assert job["status"] == "completed", job["error"]
        assert any("from ~/.netrc" in line for line in harness.events.logs(job["id"]))
    finally:
        await close_harness(harness)


async def test_without_credentials_a_401_says_how_to_give_them(tmp_path: Path, site: Site) -> None:
    basic_site(site, "dave", "x")
    await site.start()
    harness = await make_harness(tmp_path, credentials=Credentials(None, tmp_path / "no-netrc"))
    try:
        job = await harness.download(site.url("/b.bin"))
        assert job["status"] == "failed"
        assert job["error"]["message"] == (
            "127.0.0.1 asks for a user and password"
            " (idm add --user, or idm credentials add 127.0.0.1)"
        )
        with pytest.raises(Exception, match="asks for a user and password"):
            await harness.engine.probe(site.url("/b.bin"))
    finally:
        await close_harness(harness)


def test_hosts_are_checked_and_normalised(tmp_path: Path) -> None:
    store = Credentials(tmp_path / "c.json")
    assert store.add("https://Example.ORG/path", "u", "p") == "example.org"
    assert store.add("example.org:8443", "u", "s3cr3t") == "example.org:8443"
    assert store.find("https://example.org:8443/f").password == "s3cr3t"  # type: ignore[union-attr]
    with pytest.raises(CredentialError):
        store.add("no host", "u", "p")
    with pytest.raises(CredentialError):
        store.add("example.org", "", "p")
    assert store.remove("example.org") and not store.remove("example.org")
    assert "s3cr3t" not in str(store.list()) and store.list() == [
        {"host": "example.org:8443", "user": "u"}
    ]


def test_an_edited_netrc_is_read_again_and_a_removed_one_forgotten(tmp_path: Path) -> None:
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine files.example login erin password first\n")
    netrc_file.chmod(0o600)
    credentials = Credentials(None, netrc_file)
    assert credentials.find("https://files.example/a").password == "first"  # type: ignore[union-attr]
    netrc_file.write_text("machine files.example login erin password second-and-longer\n")
    assert credentials.find("https://files.example/a").password == "second-and-longer"  # type: ignore[union-attr]
    netrc_file.unlink()
    assert credentials.find("https://files.example/a") is None
