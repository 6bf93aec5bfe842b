"""After a download, on the real engine: moving the file, running a command on it
(a small Python script, no shell), the webhook (a real aiohttp server on
127.0.0.1), the command for an empty queue. Waits on the job's log events."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from idmd.protocol.events import EventType
from tests.engine.conftest import Harness, close_harness, make_harness
from tests.engine.servers import Site, payload

# Writes its argv as JSON to the file named by its first argument, says something on stderr,
# exits with the status given as its second argument.
HOOK = """\
import json, sys
with open(sys.argv[1], "w") as out:
    json.dump(sys.argv[3:], out)
print("hook saw", len(sys.argv) - 3, "arguments", file=sys.stderr)
sys.exit(int(sys.argv[2]))
"""


def hook(tmp_path: Path, status: int = 0) -> tuple[list[str], Path]:
    script = tmp_path / "hook.py"
    script.write_text(HOOK)
    record = tmp_path / f"argv-{status}.json"
    return [sys.executable, str(script), str(record), str(status)], record


async def log_line(h: Harness, job_id: str, text: str) -> str:
    event = await h.events.wait_for(
        lambda e: e.job == job_id and e.type == EventType.JOB_LOG and text in e.data["message"]
    )
    return str(event.data["message"])


async def test_move_then_run_a_command_with_the_moved_path(tmp_path: Path, site: Site) -> None:
    site.file("/backup.zip", payload(5000))
    await site.start()
    command, record = hook(tmp_path, status=3)
    h = await make_harness(
        tmp_path,
        actions={"stash": {"move": "Archive", "run": [*command, "--file={path}"]}},
        categories={"Compressed": {"after": "stash"}},
    )
    try:
        job = await h.download(site.url("/backup.zip"))
        assert job["status"] == "completed"
        moved = await log_line(h, job["id"], "after: moved to")
        target = (h.downloads / "Archive" / "backup.zip").resolve()
        assert str(target) in moved
        line = await log_line(h, job["id"], "exit status")
        assert line.endswith("exit status 3; stderr: hook saw 1 arguments")
        assert json.loads(record.read_text()) == [f"--file={target}"]
        assert target.read_bytes() == payload(5000)
        assert not (h.downloads / "Compressed" / "backup.zip").exists()
        assert h.engine.get(job["id"])["path"] == str(target)
        await h.store.flush()
        stored = await h.store.get_job(job["id"])
        assert stored is not None and stored["path"] == str(target)  # the history has the new place
        updated = h.events.of(job["id"], EventType.JOB_UPDATED)[-1].data
        assert updated == {"path": str(target), "filename": "backup.zip"}
    finally:
        await close_harness(h)


async def test_a_job_s_own_after_wins_and_none_does_nothing(tmp_path: Path, site: Site) -> None:
    site.file("/a.bin", payload(1000))
    site.file("/b.zip", payload(1000))
    await site.start()
    command, record = hook(tmp_path)
    h = await make_harness(
        tmp_path,
        actions={"note": {"run": command}, "other": {"move": "Elsewhere"}},
        categories={"Compressed": {"after": "other"}},
    )
    try:
        job = await h.download(site.url("/a.bin"), after="note")  # no category: its own action
        await log_line(h, job["id"], "exit status 0")
        assert json.loads(record.read_text()) == [str((h.downloads / "a.bin").resolve())]
        skipped = await h.download(site.url("/b.zip"), after="none")
        await h.engine.after.wait()
        assert not [m for m in h.events.logs(skipped["id"]) if m.startswith("after:")]
        assert Path(skipped["path"]).parent.name == "Compressed"
    finally:
        await close_harness(h)


async def test_a_command_that_is_not_there_is_logged_and_the_job_stays_completed(
    tmp_path: Path, site: Site
) -> None:
    site.file("/a.zip", payload(1000))
    await site.start()
    h = await make_harness(
        tmp_path,
        actions={"x": {"run": [str(tmp_path / "no-such-program"), "-v"]}},
        categories={"Compressed": {"after": "x"}},
    )
    try:
        job = await h.download(site.url("/a.zip"))
        line = await log_line(h, job["id"], "cannot run")
        assert (
            line
            == f"after: cannot run {tmp_path / 'no-such-program'} -v {job['path']}: no such program"
        )
        assert h.engine.get(job["id"])["status"] == "completed"
        errors = [
            e
            for e in h.events.of(job["id"], EventType.JOB_LOG)
            if "cannot run" in e.data["message"]
        ]
        assert errors[0].data["level"] == "error"
    finally:
        await close_harness(h)


async def test_a_command_that_takes_too_long_is_killed(tmp_path: Path, site: Site) -> None:
    site.file("/a.zip", payload(1000))
    await site.start()
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    h = await make_harness(tmp_path, actions={"slow": {"run": sleeper, "timeout": 0.5}})
    try:
        job = await h.download(site.url("/a.zip"), after="slow")
        line = await log_line(h, job["id"], "killed after 0.5 s")
        assert line.startswith("after: ")
    finally:
        await close_harness(h)


async def test_the_webhook_gets_the_job_as_json_on_completion_and_failure(
    tmp_path: Path, site: Site
) -> None:
    site.file("/a.zip", payload(1000))
    await site.start()
    received: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        await received.put((request.headers["X-Idm-Event"], await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    hook_server = TestServer(app, host="127.0.0.1", port=0)
    await hook_server.start_server()
    h = await make_harness(tmp_path, webhook_url=str(hook_server.make_url("/hook")))
    try:
        job = await h.download(site.url("/a.zip"))
        event, body = await asyncio.wait_for(received.get(), 10)
        assert event == "job.completed"
        assert (
            body["id"] == job["id"]
            and body["status"] == "completed"
            and body["path"] == job["path"]
        )
        assert body["category"] == "Compressed" and "segments" not in body
        failed = await h.download(site.url("/missing.zip"))
        event, body = await asyncio.wait_for(received.get(), 10)
        assert (
            event == "job.failed" and body["id"] == failed["id"] and body["error"]["code"] == "http"
        )
        await log_line(h, failed["id"], "HTTP 200")
    finally:
        await close_harness(h)
        await hook_server.close()


async def test_an_unreachable_webhook_is_logged_and_changes_nothing(
    tmp_path: Path, site: Site
) -> None:
    from tests.engine.servers import closed_port

    site.file("/a.zip", payload(1000))
    await site.start()
    h = await make_harness(tmp_path, webhook_url=f"http://127.0.0.1:{closed_port()}/hook")
    try:
        job = await h.download(site.url("/a.zip"))
        line = await log_line(h, job["id"], "webhook http://127.0.0.1:")
        assert "ClientConnectorError" in line
        assert h.engine.get(job["id"])["status"] == "completed"
    finally:
        await close_harness(h)


async def test_a_command_runs_once_when_the_queue_is_empty(tmp_path: Path, site: Site) -> None:
    site.file("/a.zip", payload(1000))
    site.file("/b.zip", payload(1000))
    await site.start()
    record = tmp_path / "empty.txt"
    append = [
        sys.executable,
        "-c",
        "import sys; open(sys.argv[1], 'a').write('empty\\n')",
        str(record),
    ]
    h = await make_harness(tmp_path, on_queue_empty=append, max_active=1)
    try:
        jobs = [await h.engine.add(site.url(p), {}) for p in ("/a.zip", "/b.zip")]
        for job in jobs:
            await h.events.status(job["id"], "completed")
        await h.engine.after.wait()
        # Once, after the second: when the first ended, the second was still queued.
        assert record.read_text() == "empty\n"
    finally:
        await close_harness(h)
