"""``idm`` reaches what the daemon can (issue 13): input files, rates with units,
limit, config, stop, bulk actions, id prefixes, completion, local times."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sys
from collections import Counter

import pytest

from idmd.completions import script
from tests.cli.conftest import PAYLOAD, ROOT, Files, idm
from tests.cli.test_cli import wait_status
from tests.conftest import require_tool
from tests.daemon_process import DaemonProcess


async def _ls(daemon: DaemonProcess, *args: str) -> list[dict]:
    result = await idm("ls", "--json", *args, home=daemon.home)
    assert result.status == 0, result
    return list(json.loads(result.out)["jobs"])


async def _start_idm(daemon: DaemonProcess, *args: str) -> asyncio.subprocess.Process:
    """``idm ARGS`` as a process whose output is read while it runs."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "idmd.cli.main",
        *args,
        cwd=ROOT,
        env={**os.environ, "IDM_HOME": str(daemon.home)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )


async def test_add_reads_urls_and_their_options_from_a_file_and_stdin(
    daemon: DaemonProcess, files: Files, tmp_path
) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# aria2c's form\n{files.url('/file.bin')}\n  out=one.bin\n  split=2\n")
    piped = f"{files.url('/file.bin')}\n\tout=two.bin\n\tmax-download-limit=50M\n"

    from_file = await idm("add", "-i", str(listing), "--wait", home=daemon.home)
    from_stdin = await idm("add", "-i", "-", "--wait", home=daemon.home, stdin=piped)

    assert from_file.status == 0 and from_stdin.status == 0, (from_file, from_stdin)
    assert (daemon.download_dir / "one.bin").read_bytes() == PAYLOAD
    assert (daemon.download_dir / "two.bin").read_bytes() == PAYLOAD
    jobs = {j["filename"]: j for j in await _ls(daemon)}
    assert jobs["one.bin"]["options"]["connections"] == 2
    assert jobs["two.bin"]["options"]["speed_limit"] == 50 * 1024 * 1024
    # the ids are printed, also with --wait
    assert from_file.out.split()[0] == jobs["one.bin"]["id"]
    assert from_stdin.out.split()[0] == jobs["two.bin"]["id"]


async def test_a_bad_input_file_line_is_refused_before_anything_is_added(
    daemon: DaemonProcess, files: Files
) -> None:
    text = f"{files.url('/file.bin')}\n{files.url('/file.bin')}\n  split=lots\n"

    result = await idm("add", "-i", "-", home=daemon.home, stdin=text)

    assert result.status != 0
    assert "-: line 3: connections wants a whole number" in result.err
    assert await _ls(daemon) == []


async def test_ctrl_c_while_waiting_says_the_downloads_go_on(
    daemon: DaemonProcess, files: Files
) -> None:
    proc = await _start_idm(daemon, "add", "--wait", files.url("/slow.bin"))
    assert proc.stdout is not None
    job_id = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().split()[0]
    await wait_status(daemon, job_id, "downloading")

    proc.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(proc.communicate(), 30)

    assert f"the downloads go on in idmd: {job_id}" in err.decode()
    assert [j["status"] for j in await _ls(daemon)] == ["downloading"]


async def test_limit_and_config_take_rates_with_units(daemon: DaemonProcess, files: Files) -> None:
    everything = await idm("limit", "500K", home=daemon.home)
    added = await idm("add", "--start", "paused", files.url("/file.bin"), home=daemon.home)
    job_id = added.out.split()[0]
    one = await idm("limit", job_id, "1.5M", home=daemon.home)
    bad = await idm("limit", "fast", home=daemon.home)

    assert everything.status == 0 and "500 KiB/s" in everything.out, everything
    assert (await idm("config", "get", "speed_limit", home=daemon.home)).out.strip() == str(
        500 * 1024
    )
    assert one.status == 0, one
    assert (await _ls(daemon))[0]["options"]["speed_limit"] == 1536 * 1024
    assert bad.status != 0 and "expected a number of bytes, optionally with a unit" in bad.err


async def test_config_get_and_set(daemon: DaemonProcess) -> None:
    changed = await idm("config", "set", "min_split", "2M", home=daemon.home)
    wrong = await idm("config", "set", "speed_limit", "quick", home=daemon.home)
    unknown = await idm("config", "get", "colour", home=daemon.home)
    whole = await idm("config", "get", home=daemon.home)

    assert changed.status == 0 and changed.out.strip() == "min_split = 2097152", changed
    assert wrong.status == 1 and "patch.speed_limit" in wrong.err and "500K" in wrong.err, wrong
    assert unknown.status != 0 and "no key 'colour'" in unknown.err
    assert "min_split = 2097152" in whole.out.splitlines()


async def test_stop_stops_the_daemon(daemon: DaemonProcess) -> None:
    result = await idm("stop", home=daemon.home)

    assert result.status == 0, result
    assert daemon.proc is not None
    assert await asyncio.to_thread(daemon.proc.wait, 30) == 0
    assert (await idm("ls", home=daemon.home)).status == 3  # not running


async def test_bulk_actions_take_all_or_a_status(daemon: DaemonProcess, files: Files) -> None:
    done = await idm("add", "--wait", files.url("/file.bin"), home=daemon.home)
    for _ in range(3):
        await idm(
            "add",
            "--again",
            "--start",
            "paused",
            files.url("/file.bin"),
            "-o",
            "p.bin",
            home=daemon.home,
        )

    cancelled = await idm("cancel", "--all", home=daemon.home)
    cleared = await idm("rm", "--status", "completed", home=daemon.home)
    nothing = await idm("retry", "--status", "completed", home=daemon.home)
    both = await idm("pause", "--all", "abc", home=daemon.home)

    assert done.status == 0
    assert cancelled.status == 0 and Counter(
        w for line in cancelled.out.splitlines() for w in line.split()[1:]
    ) == {"cancelled": 3}, cancelled
    assert cleared.status == 0 and done.out.split()[0] in cleared.out
    assert sorted(j["status"] for j in await _ls(daemon)) == ["cancelled"] * 3
    assert nothing.status == 0 and nothing.out.strip() == "no completed downloads"
    assert both.status != 0 and "not both" in both.err


async def test_a_unique_id_prefix_is_as_good_as_the_id(daemon: DaemonProcess, files: Files) -> None:
    # 17 ids of hex digits: two of them share a first digit.
    items = " ".join(files.url(f"/file.bin?{n}") for n in range(17)).split()
    await idm("add", "--start", "paused", *items, home=daemon.home)
    ids = sorted(j["id"] for j in await _ls(daemon))
    first = Counter(i[0] for i in ids)
    shared = next(c for c, n in first.items() if n > 1)
    unique = next(i for i in ids if all(o == i or not o.startswith(i[:4]) for o in ids))

    info = await idm("info", unique[:4], home=daemon.home)
    resumed = await idm("cancel", unique[:4], home=daemon.home)
    ambiguous = await idm("info", shared, home=daemon.home)

    assert info.status == 0 and f"id:          {unique}" in info.out, info
    assert resumed.out.split() == [unique, "cancelled"]
    assert ambiguous.status == 1 and "is more than one job" in ambiguous.err
    for job_id in (i for i in ids if i.startswith(shared)):
        assert job_id in ambiguous.err


async def test_ls_sorts_and_shows_eta_and_errors(daemon: DaemonProcess, files: Files) -> None:
    await idm("add", "--wait", "-o", "z.bin", files.url("/missing.bin"), home=daemon.home)
    await idm("add", "--start", "paused", "-o", "a.bin", files.url("/file.bin"), home=daemon.home)

    by_name = await idm("ls", "--sort", "filename", home=daemon.home)
    ids = await idm("ls", "--ids", "--sort", "filename", home=daemon.home)

    lines = by_name.out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "DONE", "SIZE", "SPEED", "ETA", "NAME", "ERROR"]
    assert "a.bin" in lines[1] and "z.bin" in lines[2] and "404" in lines[2], by_name.out
    jobs = await _ls(daemon, "--sort", "filename")
    assert ids.out.split() == [j["id"] for j in jobs]


async def test_info_shows_times_in_the_local_zone_and_json_in_utc(
    daemon: DaemonProcess, files: Files
) -> None:
    added = await idm(
        "add", "--start", "paused", files.url("/file.bin"), "--json", home=daemon.home
    )
    job = json.loads(added.out)

    shown = await idm("info", job["id"], home=daemon.home, env={"TZ": "JST-9"})

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", job["created_at"])
    line = next(x for x in shown.out.splitlines() if x.startswith("created_at:"))
    utc_hour = int(job["created_at"][11:13])
    assert re.search(rf" {(utc_hour + 9) % 24:02d}:\d\d:\d\d JST$", line), line


async def test_completion_prints_the_script(daemon: DaemonProcess) -> None:
    bash = await idm("completion", "bash", home=daemon.home)
    fish = await idm("completion", "fish", home=daemon.home)

    assert bash.status == 0 and "complete -o default -F _idm idm" in bash.out
    assert "complete -F _idmd idmd" in bash.out or "_idmd" in bash.out
    assert "complete -c idm " in fish.out


async def test_checksum_errors_say_what_is_wrong(daemon: DaemonProcess, files: Files) -> None:
    short = await idm("add", "--checksum", "sha1=abc", files.url("/file.bin"), home=daemon.home)
    capitals = await idm(
        "add",
        "--wait",
        "--checksum",
        "SHA256=" + "0" * 64,
        files.url("/file.bin"),
        home=daemon.home,
    )
    unknown = await idm("add", "--checksum", "crc32=00", files.url("/file.bin"), home=daemon.home)

    assert short.status == 1 and "a sha1 checksum is 40 hex digits, this one has 3" in short.err, (
        short
    )
    assert capitals.status == 5  # accepted, and then the file does not match
    assert "sha1=HEX" in unknown.err and "sha512=HEX" in unknown.err


async def test_adding_a_url_already_there_warns_and_wait_follows_that_job(
    daemon: DaemonProcess, files: Files
) -> None:
    first = await idm("add", files.url("/slow.bin"), home=daemon.home)
    job_id = first.out.split()[0]
    await wait_status(daemon, job_id, "downloading")

    waiting = await _start_idm(daemon, "add", "--wait", files.url("/slow.bin"))
    assert waiting.stdout is not None
    attached_to = (await asyncio.wait_for(waiting.stdout.readline(), 30)).decode().split()[0]
    files.gate.set()
    rest, err = await asyncio.wait_for(waiting.communicate(), 30)
    paused = await idm("add", "--start", "paused", files.url("/file.bin"), home=daemon.home)
    refused = await idm("add", files.url("/file.bin"), home=daemon.home)
    again = await idm("add", "--again", files.url("/file.bin"), home=daemon.home)

    assert waiting.returncode == 0, err
    assert (
        f"is already downloading as {job_id}; not added again (--again adds it anyway)"
        in err.decode()
    )
    assert attached_to == job_id and "completed" in rest.decode()
    assert (
        refused.out.split()[:2] == [paused.out.split()[0], "paused"]
        and "already paused" in refused.err
    )
    assert again.status == 0 and again.out.split()[0] != paused.out.split()[0]
    assert len(await _ls(daemon)) == 3


async def test_user_and_password_are_sent_but_never_stored_or_shown(
    daemon: DaemonProcess, tmp_path
) -> None:
    from aiohttp import BasicAuth, web
    from aiohttp.test_utils import TestServer

    async def private(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != BasicAuth("alice", "s3cret!").encode():
            return web.Response(status=401)
        return web.Response(body=PAYLOAD)

    app = web.Application()
    app.router.add_get("/private.bin", private)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        base = f"http://127.0.0.1:{server.port}/private.bin"
        flags = await idm(
            "add",
            "--wait",
            "--user",
            "alice",
            "--password",
            "s3cret!",
            "-o",
            "a.bin",
            base,
            home=daemon.home,
        )
        in_url = await idm(
            "add",
            "--wait",
            "-o",
            "b.bin",
            base.replace("//", "//alice:s3cret%21@"),
            home=daemon.home,
        )
    finally:
        await server.close()

    assert flags.status == 0 and in_url.status == 0, (flags, in_url)
    assert (daemon.download_dir / "a.bin").read_bytes() == PAYLOAD
    assert (daemon.download_dir / "b.bin").read_bytes() == PAYLOAD
    shown = (await idm("ls", "--json", home=daemon.home)).out
    for job in json.loads(shown)["jobs"]:
        assert job["url"] == base and job["options"]["user"] == "alice"
        shown += (await idm("info", job["id"], home=daemon.home)).out
    assert "s3cret" not in shown + flags.out + in_url.out
    database = b"".join(p.read_bytes() for p in daemon.home.rglob("*.db*"))
    assert database and b"s3cret" not in database


async def test_cookies_from_a_netscape_cookies_file(daemon: DaemonProcess, tmp_path) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    async def cookie_only(request: web.Request) -> web.Response:
        if request.cookies.get("sid") != "abc" or "old" in request.cookies:
            return web.Response(status=403, text=str(dict(request.cookies)))
        return web.Response(body=PAYLOAD)

    app = web.Application()
    app.router.add_get("/members.bin", cookie_only)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    jar = tmp_path / "cookies.txt"
    jar.write_text(
        "# Netscape HTTP Cookie File\n"
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc\n"
        "127.0.0.1\tFALSE\t/\tFALSE\t1000\told\texpired\n"
        "other.example\tFALSE\t/\tFALSE\t0\tforeign\tx\n"
    )
    try:
        result = await idm(
            "add",
            "--wait",
            "--cookies",
            str(jar),
            f"http://127.0.0.1:{server.port}/members.bin",
            home=daemon.home,
        )
        missing = await idm(
            "add", "--cookies", str(tmp_path / "nope.txt"), "http://127.0.0.1:1/x", home=daemon.home
        )
    finally:
        await server.close()

    assert result.status == 0, result
    assert (daemon.download_dir / "members.bin").read_bytes() == PAYLOAD
    assert missing.status != 0 and "no such file" in missing.err


async def test_a_skipped_duplicate_is_listed_as_skipped_with_its_name(
    daemon: DaemonProcess, files: Files
) -> None:
    first = await idm("add", "--wait", files.url("/file.bin"), home=daemon.home)
    skipped = await idm(
        "add", "--wait", "--on-duplicate", "skip", files.url("/file.bin"), home=daemon.home
    )
    asked = await idm(
        "add", "--on-duplicate", "ask", files.url("/file.bin"), "--json", home=daemon.home
    )
    asked_id = json.loads(asked.out)["id"]
    await wait_status(daemon, asked_id, "waiting")
    await idm("resolve", asked_id, "skip", home=daemon.home)

    rows = {
        line.split()[0]: line.split()
        for line in (await idm("ls", home=daemon.home)).out.splitlines()[1:]
    }
    info = await idm("info", asked_id, home=daemon.home)

    assert first.status == 0 and skipped.status == 0, (first, skipped)
    skipped_id = skipped.out.split()[0]
    assert rows[first.out.split()[0]][1] == "completed"
    for job_id in (skipped_id, asked_id):
        assert rows[job_id][1] == "skipped" and rows[job_id][-1] == "file.bin", rows
    assert (
        "note:        skipped: the file exists" in info.out and "filename:    file.bin" in info.out
    )
    assert (daemon.download_dir / "file.bin").read_bytes() == PAYLOAD
    assert sorted(p.name for p in daemon.download_dir.iterdir()) == ["file.bin"]


async def test_bash_completes_job_ids_from_the_daemon(daemon: DaemonProcess, files: Files) -> None:
    bin_dir = os.path.dirname(sys.executable)
    if not shutil.which("idm", path=bin_dir):
        pytest.skip("the idm script is not installed beside this Python (pip install -e .)")
    added = await idm("add", "--start", "paused", files.url("/file.bin"), home=daemon.home)
    program = f"""{script("idm", "bash")}
        COMP_WORDS=(idm info ""); COMP_CWORD=2; _idm; printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    env = {
        **os.environ,
        "IDM_HOME": str(daemon.home),
        "PATH": bin_dir + os.pathsep + os.environ["PATH"],
    }

    proc = await asyncio.create_subprocess_exec(
        require_tool("bash"), "-c", program, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)

    assert out.decode().split() == [added.out.split()[0]]
