"""``idm credentials`` and ``idm add --proxy`` against a real daemon: the password goes in,
is used, and comes out nowhere (``idm ls``/``info``, the database, the log, events);
a paired client cannot read the credentials or move the daemon's proxy."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.cli.conftest import PAYLOAD, idm
from tests.daemon_process import DaemonProcess
from tests.hardening.test_scope import _paired
from tests.proxies import Socks5Proxy
from tests.rpc.wsutil import connect


@pytest.fixture
async def private() -> AsyncIterator[TestServer]:
    """``/p.bin`` for alice:s3cret only (Basic)."""
    expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()

    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="t"'})
        return web.Response(body=PAYLOAD)

    app = web.Application()
    app.router.add_get("/p.bin", handler)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield server
    await server.close()


def _everything_shown(daemon: DaemonProcess) -> str:
    """The database, the log and the daemon's output: where a password must not be."""
    return "".join(
        p.read_bytes().decode("latin-1")
        for p in daemon.home.rglob("*")
        if p.is_file() and (p.suffix in (".db", ".log", ".db-wal") or p.name.startswith("idm.db"))
    )


async def test_credentials_are_kept_used_listed_without_password_and_removed(
    daemon: DaemonProcess, private: TestServer
) -> None:
    host = f"127.0.0.1:{private.port}"
    added = await idm(
        "credentials", "add", host, "--user", "alice", home=daemon.home, stdin="s3cret\n"
    )
    assert added.status == 0, added
    assert (os.stat(daemon.home / "credentials.json").st_mode & 0o777) == 0o600
    listed = await idm("credentials", "list", home=daemon.home)
    assert host in listed.out and "alice" in listed.out and "s3cret" not in listed.out
    assert json.loads((await idm("credentials", "list", "--json", home=daemon.home)).out) == [
        {"host": host, "user": "alice"}
    ]

    got = await idm("add", "--wait", "-o", "p.bin", f"http://{host}/p.bin", home=daemon.home)
    assert got.status == 0, got
    assert (daemon.download_dir / "p.bin").read_bytes() == PAYLOAD
    job_id = got.out.split()[0]
    shown = (await idm("ls", "--json", home=daemon.home)).out + (
        await idm("info", job_id, home=daemon.home)
    ).out
    assert "s3cret" not in shown + _everything_shown(daemon)

    assert (await idm("credentials", "remove", host, home=daemon.home)).status == 0
    again = await idm("add", "--wait", "-o", "q.bin", f"http://{host}/p.bin", home=daemon.home)
    assert again.status != 0 and "asks for a user and password" in again.out + again.err
    gone = await idm("credentials", "remove", host, home=daemon.home)
    assert gone.status != 0 and "no credentials kept" in gone.err


async def test_netrc_is_read_by_the_daemon(tmp_path: Path, private: TestServer) -> None:
    netrc_file = tmp_path / "netrc"
    netrc_file.write_text("machine 127.0.0.1\n  login alice\n  password s3cret\n")
    netrc_file.chmod(0o600)
    (tmp_path / "home").mkdir()
    daemon = DaemonProcess(tmp_path / "home", env={"NETRC": str(netrc_file)}).start()
    try:
        got = await idm(
            "add",
            "--wait",
            "-o",
            "n.bin",
            f"http://127.0.0.1:{private.port}/p.bin",
            home=daemon.home,
        )
        assert got.status == 0, got
        assert (daemon.download_dir / "n.bin").read_bytes() == PAYLOAD
    finally:
        daemon.stop()


async def test_add_proxy_sends_the_download_through_it_and_hides_the_password(
    daemon: DaemonProcess, private: TestServer
) -> None:
    proxy = await Socks5Proxy("sam", "pr0xypw").start()
    try:
        url = f"http://alice:s3cret@127.0.0.1:{private.port}/p.bin"
        got = await idm("add", "--wait", "-o", "x.bin", "--proxy", proxy.url, url, home=daemon.home)
        assert got.status == 0, got
        assert proxy.counts.bytes_down >= len(PAYLOAD)
        job_id = got.out.split()[0]
        info = (await idm("info", job_id, home=daemon.home)).out
        assert f"socks5://sam@127.0.0.1:{proxy.port}" in info
        shown = (await idm("ls", "--json", home=daemon.home)).out + info + got.out
        assert "pr0xypw" not in shown + _everything_shown(daemon)
    finally:
        await proxy.close()


async def test_a_paired_client_may_not_read_credentials_nor_set_the_proxy(
    daemon: DaemonProcess,
) -> None:
    ext = await _paired(daemon)
    try:
        for method, params in (
            ("credentials.list", {}),
            ("credentials.remove", {"host": "example.org"}),
            ("credentials.add", {"host": "example.org", "user": "u", "password": "p"}),
        ):
            reply = await ext.call(method, params)
            assert reply["error"]["code"] == -32009, (method, reply)
        for key, value in (("proxy", "http://127.0.0.1:9"), ("no_proxy", ["*"])):
            reply = await ext.call("config.set", {"patch": {key: value}})
            assert reply["error"]["code"] == -32009, (key, reply)
        reply = await ext.call(
            "jobs.add", {"url": "http://127.0.0.1:9/f", "options": {"proxy": "http://127.0.0.1:9"}}
        )
        assert reply["error"]["data"]["param"] == "options.proxy", reply
        many = await ext.call(
            "jobs.add_many",
            {"items": [{"url": "http://127.0.0.1:9/f", "options": {"proxy": "direct"}}]},
        )
        assert many["result"][0]["error"]["data"]["param"] == "items[0].options.proxy", many
    finally:
        await ext.close()


async def test_the_config_proxy_is_masked_in_config_get_and_kept_when_sent_back(
    daemon: DaemonProcess,
) -> None:
    assert (
        await idm("config", "set", "proxy", "socks5://u:hunter2@127.0.0.1:1080", home=daemon.home)
    ).status == 0
    shown = await idm("config", "get", "proxy", home=daemon.home)
    assert "hunter2" not in shown.out and "u:***@127.0.0.1:1080" in shown.out
    owner = await connect(f"ws://127.0.0.1:{daemon.port}/rpc", token=daemon.token)
    try:
        config = (await owner.call("config.get"))["result"]
        reply = await owner.call(
            "config.set", {"patch": {"proxy": config["proxy"], "max_active": 2}}
        )
        assert reply["result"]["proxy"] == "socks5://u:***@127.0.0.1:1080"
    finally:
        await owner.close()
    runtime = "".join(p.read_text() for p in daemon.home.glob("*.toml"))
    assert "hunter2" in runtime  # the password sent back masked was kept, not replaced by ***
    assert "hunter2" not in _everything_shown(
        daemon
    )  # nor in the log, nor in events kept in the database
