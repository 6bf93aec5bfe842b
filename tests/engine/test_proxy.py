"""Jobs through a real proxy on 127.0.0.1: HTTP and SOCKS5, with credentials, from a job's
own option or the config, ``no_proxy``, and a proxy that is not there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from idmd.protocol.errors import InvalidParams
from idmd.protocol.events import EventType
from tests.engine.conftest import Harness, close_harness, make_harness
from tests.engine.servers import Site, closed_port, payload, sha256
from tests.proxies import HttpProxy, Socks5Proxy

DATA = payload(700 * 1024)


@pytest.fixture
async def http_proxy() -> AsyncIterator[HttpProxy]:
    proxy = await HttpProxy("pat", "pr0xy:pass").start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def socks_proxy() -> AsyncIterator[Socks5Proxy]:
    proxy = await Socks5Proxy("sam", "s0cks!pw").start()
    yield proxy
    await proxy.close()


def _no_password_in(harness: Harness, job_id: str, password: str) -> None:
    """The password is nowhere a user or a client sees: the job, its events, the store."""
    assert password not in str(harness.engine.get(job_id))
    assert all(password not in str(e.data) for e in harness.events.of(job_id))


async def test_a_job_through_an_http_proxy_with_credentials(
    harness: Harness, site: Site, http_proxy: HttpProxy
) -> None:
    site.file("/f.bin", DATA)
    await site.start()
    job = await harness.download(site.url("/f.bin"), proxy=http_proxy.url, connections=2)
    assert job["status"] == "completed", job["error"]
    assert sha256(Path(job["path"]).read_bytes()) == sha256(DATA)
    assert http_proxy.counts.bytes_down >= len(DATA)  # every byte came through the proxy
    assert http_proxy.counts.refused == 0
    assert job["options"]["proxy"] == f"http://pat@127.0.0.1:{http_proxy.port}"
    _no_password_in(harness, job["id"], "pr0xy:pass")


async def test_a_job_through_a_socks5_proxy_with_credentials(
    harness: Harness, site: Site, socks_proxy: Socks5Proxy
) -> None:
    site.file("/f.bin", DATA)
    await site.start()
    job = await harness.download(site.url("/f.bin"), proxy=socks_proxy.url, connections=3)
    assert job["status"] == "completed", job["error"]
    assert sha256(Path(job["path"]).read_bytes()) == sha256(DATA)
    assert socks_proxy.counts.bytes_down >= len(DATA)
    assert socks_proxy.counts.targets and all(
        t.endswith(f":{site.server.port}")  # type: ignore[union-attr]
        for t in socks_proxy.counts.targets
    )
    _no_password_in(harness, job["id"], "s0cks!pw")


async def test_the_config_proxy_is_used_and_a_job_proxy_overrides_it(
    tmp_path: Path, site: Site, http_proxy: HttpProxy, socks_proxy: Socks5Proxy
) -> None:
    site.file("/a.bin", DATA)
    site.file("/b.bin", DATA)
    await site.start()
    harness = await make_harness(tmp_path, proxy=http_proxy.url)
    try:
        first = await harness.download(site.url("/a.bin"))
        assert first["status"] == "completed", first["error"]
        assert http_proxy.counts.bytes_down >= len(DATA)
        through_http = http_proxy.counts.bytes_down
        second = await harness.download(site.url("/b.bin"), proxy=socks_proxy.url)
        assert second["status"] == "completed", second["error"]
        assert socks_proxy.counts.bytes_down >= len(DATA)
        assert http_proxy.counts.bytes_down == through_http  # the job's own proxy, not the config's
        third = await harness.download(site.url("/b.bin"), proxy="direct", filename="c.bin")
        assert third["status"] == "completed", third["error"]
        assert http_proxy.counts.bytes_down == through_http
    finally:
        await close_harness(harness)


async def test_no_proxy_hosts_go_direct(tmp_path: Path, site: Site, http_proxy: HttpProxy) -> None:
    site.file("/f.bin", DATA)
    await site.start()
    harness = await make_harness(
        tmp_path, proxy=http_proxy.url, no_proxy=("example.org", "127.0.0.0/8")
    )
    try:
        job = await harness.download(site.url("/f.bin"))
        assert job["status"] == "completed", job["error"]
        assert http_proxy.counts.connections == 0
    finally:
        await close_harness(harness)


async def test_http_proxy_and_no_proxy_from_the_environment(
    tmp_path: Path, site: Site, http_proxy: HttpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.file("/f.bin", DATA)
    await site.start()
    monkeypatch.setenv("HTTP_PROXY", http_proxy.url)
    monkeypatch.setenv("NO_PROXY", "example.org")
    harness = await make_harness(tmp_path)
    try:
        job = await harness.download(site.url("/f.bin"))
        assert job["status"] == "completed", job["error"]
        assert http_proxy.counts.bytes_down >= len(DATA)
        monkeypatch.setenv("NO_PROXY", "example.org,127.0.0.1")
        before = http_proxy.counts.bytes_down
        job = await harness.download(site.url("/f.bin"), filename="g.bin")
        assert job["status"] == "completed", job["error"]
        assert http_proxy.counts.bytes_down == before
    finally:
        await close_harness(harness)


@pytest.mark.parametrize("scheme", ["http", "socks5"])
async def test_an_unreachable_proxy_fails_the_job_naming_it_without_its_password(
    tmp_path: Path, site: Site, scheme: str
) -> None:
    site.file("/f.bin", DATA)
    await site.start()
    harness = await make_harness(tmp_path, retries=0)
    try:
        port = closed_port()
        job = await harness.download(
            site.url("/f.bin"), proxy=f"{scheme}://u:hunter2@127.0.0.1:{port}"
        )
        assert job["status"] == "failed"
        assert f"proxy 127.0.0.1:{port}" in job["error"]["message"]
        _no_password_in(harness, job["id"], "hunter2")
        logs = harness.events.of(job["id"], EventType.JOB_LOG)
        assert all("hunter2" not in str(e.data) for e in logs)
    finally:
        await close_harness(harness)


@pytest.mark.parametrize("proxy_class", [HttpProxy, Socks5Proxy])
async def test_a_wrong_proxy_password_fails_the_job_at_once(
    tmp_path: Path, site: Site, proxy_class: type
) -> None:
    site.file("/f.bin", DATA)
    await site.start()
    proxy = await proxy_class("u", "right").start()
    harness = await make_harness(tmp_path, retries=3)
    try:
        job = await harness.download(site.url("/f.bin"), proxy=proxy.url.replace("right", "wrong"))
        assert job["status"] == "failed"
        assert "proxy" in job["error"]["message"]
        assert "wrong" not in job["error"]["message"]
        assert proxy.counts.refused == 1  # not retried: the same password would fail again
    finally:
        await close_harness(harness)
        await proxy.close()


async def test_a_proxy_that_is_not_a_proxy_url_is_refused(harness: Harness) -> None:
    with pytest.raises(InvalidParams, match="options.proxy"):
        await harness.engine.add("http://127.0.0.1:1/f", {"proxy": "ftp://127.0.0.1:21"})
