"""Issue 11 point 2: a paired client (the browser extension) writes only under
the download folder and ``allowed_dirs`` and may not reconfigure or stop the
daemon; relative folders are refused for everyone; ``delete_files`` deletes
only a file the job wrote."""

from __future__ import annotations

from pathlib import Path

from tests.daemon_process import DaemonProcess
from tests.hostile_http import RawHttpServer, response
from tests.rpc.wsutil import RawPeer, connect

EXTENSION = {"Origin": "chrome-extension://abcdefghijklmnopabcdefghijklmnop"}


async def _paired(daemon: DaemonProcess) -> RawPeer:
    """A connection authenticated with a paired client's token (pairing approved by the owner)."""
    ext = await connect(f"ws://127.0.0.1:{daemon.port}/rpc", headers=EXTENSION)
    owner = await connect(f"ws://127.0.0.1:{daemon.port}/rpc", token=daemon.token)
    try:
        code = (await ext.call("session.pair", {"client": {"name": "ext", "version": "1"}}))[
            "result"
        ]["code"]
        assert (await owner.call("pairing.approve", {"code": code}))["result"] is True
        token = (await ext.next_event())["data"]["token"]
    finally:
        await owner.close()
        await ext.close()
    return await connect(f"ws://127.0.0.1:{daemon.port}/rpc", token=token, headers=EXTENSION)


async def test_a_paired_client_writes_only_inside_its_folders(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    outside = tmp_path / "ssh"
    outside.mkdir()
    (outside / "authorized_keys").write_text("mine\n")
    link = daemon.download_dir / "escape"
    daemon.download_dir.mkdir(exist_ok=True)
    link.symlink_to(outside)
    ext = await _paired(daemon)
    try:
        for folder in (str(outside), "/etc", str(link), str(daemon.download_dir / ".." / "x")):
            reply = await ext.call(
                "jobs.add",
                {
                    "url": "http://127.0.0.1:9/k",
                    "options": {
                        "dir": folder,
                        "filename": "authorized_keys",
                        "on_duplicate": "overwrite",
                    },
                },
            )
            assert reply["error"]["code"] == -32602, (folder, reply)
            assert reply["error"]["data"]["param"] == "options.dir"
        many = await ext.call(
            "jobs.add_many",
            {"items": [{"url": "http://127.0.0.1:9/k", "options": {"dir": "/etc"}}]},
        )
        assert many["result"][0]["error"]["data"]["param"] == "items[0].options.dir"
        inside = await ext.call(
            "jobs.add",
            {
                "url": "http://127.0.0.1:9/k",
                "options": {"dir": str(daemon.download_dir / "sub"), "start": "paused"},
            },
        )
        assert "result" in inside, inside
        assert (outside / "authorized_keys").read_text() == "mine\n"
    finally:
        await ext.close()


async def test_a_paired_client_may_not_reconfigure_stop_or_approve(daemon: DaemonProcess) -> None:
    ext = await _paired(daemon)
    try:
        for key, value in (
            ("host", "0.0.0.0"),
            ("port", 1),
            ("allowed_origins", ["https://evil.example"]),
            ("allowed_dirs", ["/"]),
            ("extension_ids", []),
            # commands the daemon would run, a URL it would post every job to
            ("actions", {"x": {"run": ["sh", "-c", "id"]}}),
            ("webhook_url", "https://evil.example/"),
            ("on_queue_empty", ["sh", "-c", "id"]),
        ):
            reply = await ext.call("config.set", {"patch": {key: value}})
            assert reply["error"]["code"] == -32009, (key, reply)
        assert "result" in await ext.call("config.set", {"patch": {"max_active": 4}})
        for method, params in (
            ("daemon.shutdown", {}),
            ("pairing.approve", {"code": "123456"}),
            ("pairing.revoke", {"id": "x"}),
            ("pairing.list", {}),
        ):
            reply = await ext.call(method, params)
            assert reply["error"]["code"] == -32009, (method, reply)
        assert "result" in await ext.call("daemon.info")
    finally:
        await ext.close()
    assert daemon.proc is not None and daemon.proc.poll() is None


async def test_relative_folders_and_tilde_are_refused_even_for_the_owner(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    owner = await connect(f"ws://127.0.0.1:{daemon.port}/rpc", token=daemon.token)
    try:
        for folder in ("relative", "~/Downloads", "./x", ""):
            reply = await owner.call(
                "jobs.add", {"url": "http://127.0.0.1:9/k", "options": {"dir": folder}}
            )
            assert reply["error"]["code"] == -32602, (folder, reply)
        reply = await owner.call(
            "jobs.add",
            {
                "url": "http://127.0.0.1:9/k",
                "options": {"dir": str(tmp_path / "anywhere"), "start": "paused"},
            },
        )
        assert "result" in reply
    finally:
        await owner.close()


async def test_delete_files_keeps_a_file_the_job_skipped(daemon: DaemonProcess) -> None:
    server = await RawHttpServer(lambda path: response(b"HTTP/1.1 200 OK", (), b"theirs")).start()
    daemon.download_dir.mkdir(exist_ok=True)
    mine = daemon.download_dir / "notes.txt"
    mine.write_text("the user's own file\n")
    owner = await connect(f"ws://127.0.0.1:{daemon.port}/rpc", token=daemon.token)
    try:
        await owner.call("events.subscribe", {})
        job_id = (
            await owner.call(
                "jobs.add", {"url": server.url("/notes.txt"), "options": {"on_duplicate": "skip"}}
            )
        )["result"]["id"]
        while True:
            event = await owner.next_event(20)
            if (
                event["job"] == job_id
                and event["type"] == "job.status"
                and event["data"]["status"] == "completed"
            ):
                break
        assert "result" in await owner.call("jobs.remove", {"ids": [job_id], "delete_files": True})
        assert mine.read_text() == "the user's own file\n"
    finally:
        await owner.close()
        await server.close()
