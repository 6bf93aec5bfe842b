"""The ``notify`` after-action on the real engine: a fake ``notify-send`` that the test
writes on PATH records its arguments, so the test sees what a desktop would show, on
completion and on failure; without the program the job's log says what to install."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from idmd.config import Config, ConfigError
from idmd.engine import notify
from idmd.protocol.errors import InvalidParams
from tests.engine.conftest import Harness, close_harness, make_harness
from tests.engine.servers import Site, payload
from tests.engine.test_after import log_line

FAKE = """#!{python}
import json, sys
with open({record!r}, "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
"""


def fake_notify_send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``notify-send`` first on PATH; the file where each call's arguments land."""
    folder = tmp_path / "bin"
    folder.mkdir()
    record = tmp_path / "notified.jsonl"
    program = folder / "notify-send"
    program.write_text(FAKE.format(python=sys.executable, record=str(record)))
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return record


def calls(record: Path) -> list[list[str]]:
    return [json.loads(line) for line in record.read_text().splitlines()]


async def test_notify_shows_a_completed_and_a_failed_download(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = fake_notify_send(tmp_path, monkeypatch)
    site.file("/report.pdf", payload(1000))
    await site.start()
    h = await make_harness(tmp_path, actions={"tell": {"move": "Done", "notify": True}}, retries=0)
    try:
        done = await h.download(site.url("/report.pdf"), after="notify")
        assert done["status"] == "completed", done["error"]
        await log_line(h, done["id"], "desktop notification: Download complete")
        path = str((h.downloads / "Documents" / "report.pdf").resolve())
        assert calls(record) == [["--app-name=idm", "--", "Download complete", path]]
        moved = await h.download(site.url("/report.pdf") + "?2", after="tell")
        await log_line(h, moved["id"], "desktop notification: Download complete")
        final = h.engine.get(moved["id"])["path"]  # notified after the move, at its new place
        assert Path(final).parent.name == "Done" and calls(record)[1][-1] == final
        failed = await h.download(site.url("/missing.pdf"), after="notify")
        assert failed["status"] == "failed"
        await log_line(h, failed["id"], "desktop notification: Download failed")
        title, body = calls(record)[2][-2:]
        # No name was ever known: the URL names it, then why it failed.
        assert (
            title == "Download failed" and body == site.url("/missing.pdf") + ": HTTP 404 Not Found"
        )
    finally:
        await close_harness(h)


async def test_without_notify_send_the_log_says_what_to_install(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    site.file("/a.bin", payload(100))
    await site.start()
    h: Harness = await make_harness(tmp_path)
    try:
        job = await h.download(site.url("/a.bin"), after="notify")
        assert job["status"] == "completed"
        line = await log_line(h, job["id"], "no desktop notification")
        assert "notify-send is not installed" in line
    finally:
        await close_harness(h)


def test_macos_uses_osascript_with_the_text_quoted() -> None:
    argv = notify.command(
        "Download complete",
        'evil" & do shell script "rm -rf ~" & ".mp4',
        platform="darwin",
        which=lambda name: f"/usr/bin/{name}",
    )
    assert argv is not None and argv[:2] == ["/usr/bin/osascript", "-e"]
    assert argv[2] == (
        'display notification "evil\\" & do shell script \\"rm -rf ~\\" & \\".mp4"'
        ' with title "Download complete"'
    )
    assert notify.command("t", "b", platform="darwin", which=lambda name: None) is None


async def test_notify_is_an_action_name_and_a_key_checked_like_the_others(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match=r"actions\.tell\.notify must be true or false"):
        Config(actions={"tell": {"notify": "yes"}}).validate()
    h = await make_harness(tmp_path)
    try:
        with pytest.raises(InvalidParams, match=r"known: none, notify\)"):
            await h.engine.add("http://127.0.0.1:9/x", {"after": "nope"})
    finally:
        await close_harness(h)
