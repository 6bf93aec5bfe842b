"""The daemon as a service manager sees it: readiness on the notify socket,
SIGHUP reloading config.toml, SIGTERM stopping cleanly, one daemon per home,
one clear error for a busy port.

Real ``idmd`` processes; changes are observed through the RPC (the
``config.changed`` event), never by sleeping.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from idmd.paths import resolve_paths
from idmd.service.cli import build_plan
from tests.daemon_process import DaemonProcess

ROOT = Path(__file__).resolve().parents[2]


class Notified:
    """An idmd started directly (no --port override), with every datagram it
    sends to its NOTIFY_SOCKET."""

    def __init__(
        self,
        home: Path,
        argv: list[str] | None = None,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.home = home
        self._tmp = tempfile.TemporaryDirectory()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(os.path.join(self._tmp.name, "notify"))
        self.sock.settimeout(20)
        env = dict(os.environ, IDM_HOME=str(home)) if env is None else env
        with open(home / "stderr.log", "ab") as log:
            self.proc = subprocess.Popen(
                argv or [sys.executable, "-m", "idmd"],
                cwd=cwd,
                env={**env, "NOTIFY_SOCKET": self.sock.getsockname()},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )

    def receive(self) -> dict[str, str]:
        lines = self.sock.recv(4096).decode().splitlines()
        return dict(line.split("=", 1) for line in lines)

    def wait_ready(self) -> dict[str, str]:
        message = self.receive()
        while message.get("READY") != "1":
            message = self.receive()
        return message

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.sock.close()
        self._tmp.cleanup()


@pytest.fixture
def notified(idm_home: Path) -> Iterator[Notified]:
    (idm_home / "config.toml").write_text("port = 0\n")
    daemon = Notified(idm_home)
    yield daemon
    daemon.close()


class Rpc:
    """Just enough JSON-RPC over the WebSocket to call and wait for events."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        self.next_id += 1
        await self.ws.send_json(
            {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}}
        )
        while True:
            message = await self.ws.receive_json(timeout=10)
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message["result"]
            if message.get("method") == "event":
                self.events.append(message["params"])

    async def event(self, type_: str) -> dict[str, Any]:
        for i, event in enumerate(self.events):
            if event["type"] == type_:
                return self.events.pop(i)
        while True:
            message = await self.ws.receive_json(timeout=10)
            if message.get("method") == "event" and message["params"]["type"] == type_:
                return message["params"]


async def connect(
    session: aiohttp.ClientSession, url: str, token: str
) -> tuple[aiohttp.ClientWebSocketResponse, Rpc]:
    ws = await session.ws_connect(url)
    rpc = Rpc(ws)
    hello = await rpc.call(
        "session.hello", {"token": token, "client": {"name": "test", "version": "0"}}
    )
    await rpc.call("events.subscribe", {"since": hello["seq"]})
    return ws, rpc


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll a condition that has no event to wait on (a log line), bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_ready_arrives_once_the_port_accepts_connections(notified: Notified) -> None:
    message = notified.wait_ready()

    info = json.loads((notified.home / "daemon.json").read_text())
    # Connecting right now must work: READY means "clients can connect".
    socket.create_connection(("127.0.0.1", info["port"]), timeout=2).close()
    assert message["MAINPID"] == str(notified.proc.pid)
    assert message["STATUS"] == f"listening on ws://127.0.0.1:{info['port']}/rpc"

    notified.proc.send_signal(signal.SIGTERM)
    assert notified.receive().get("STOPPING") == "1"
    assert notified.proc.wait(timeout=10) == 0


async def test_sighup_applies_a_changed_key_at_once(daemon: DaemonProcess) -> None:
    async with aiohttp.ClientSession() as session:
        ws, rpc = await connect(session, daemon.url, daemon.token)
        (daemon.home / "config.toml").write_text("max_active = 7\n")
        assert daemon.proc is not None

        daemon.proc.send_signal(signal.SIGHUP)

        event = await rpc.event("config.changed")
        assert event["data"] == {"max_active": 7}
        assert (await rpc.call("config.get"))["max_active"] == 7
        await ws.close()
    assert "config reloaded" in (daemon.home / "idmd.log").read_text()


async def test_sighup_reports_a_new_port_as_needing_a_restart(notified: Notified) -> None:
    notified.wait_ready()
    info = json.loads((notified.home / "daemon.json").read_text())
    token = (notified.home / "token").read_text().strip()
    async with aiohttp.ClientSession() as session:
        ws, rpc = await connect(session, info["url"], token)
        (notified.home / "config.toml").write_text("port = 1\n")

        notified.proc.send_signal(signal.SIGHUP)

        assert (await rpc.event("config.changed"))["data"] == {"port": 1}
        log = (notified.home / "idmd.log").read_text()
        assert "take effect after a restart: port" in log
        # Still serving where it was.
        assert (await rpc.call("daemon.info"))["pid"] == notified.proc.pid
        await ws.close()


def test_a_broken_config_on_sighup_keeps_the_daemon_running(daemon: DaemonProcess) -> None:
    (daemon.home / "config.toml").write_text("max_active = [oops\n")
    assert daemon.proc is not None

    daemon.proc.send_signal(signal.SIGHUP)

    log = daemon.home / "idmd.log"
    assert wait_for(lambda: "config not reloaded" in log.read_text()), log.read_text()
    assert daemon.proc.poll() is None
    socket.create_connection(("127.0.0.1", daemon.port), timeout=2).close()


def test_sigterm_exits_0_within_2_seconds(daemon: DaemonProcess) -> None:
    assert daemon.proc is not None

    daemon.proc.send_signal(signal.SIGTERM)

    assert daemon.proc.wait(timeout=2) == 0
    assert not (daemon.home / "daemon.json").exists()


@pytest.mark.parametrize("how", [["--port", "0"], ["--detach"]], ids=["foreground", "detach"])
def test_a_second_daemon_on_the_same_home_names_the_first(
    daemon: DaemonProcess, how: list[str]
) -> None:
    assert daemon.proc is not None
    env = dict(os.environ, IDM_HOME=str(daemon.home))
    env.pop("NOTIFY_SOCKET", None)

    second = subprocess.run(
        [sys.executable, "-m", "idmd", *how],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert second.returncode == 3
    assert f"idmd is already running (pid {daemon.proc.pid})" in second.stderr
    assert daemon.proc.poll() is None  # the first one is untouched


def test_a_busy_port_is_one_clear_error(idm_home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, IDM_HOME=str(idm_home))
        env.pop("NOTIFY_SOCKET", None)

        result = subprocess.run(
            [sys.executable, "-m", "idmd", "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "address already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (idm_home / "daemon.json").exists()


def test_the_installed_unit_starts_a_daemon_systemd_would_see_ready(tmp_path: Path) -> None:
    """Run the unit's ExecStart= with its Environment= the way systemd does:
    a minimal environment, the home folder as working directory, and stop
    it with SIGTERM as ``systemctl stop`` would."""
    home, idm_home = tmp_path / "home", tmp_path / "idm"
    home.mkdir()
    idm_home.mkdir()
    (idm_home / "config.toml").write_text("port = 0\n")
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "IDM_HOME": str(idm_home)}
    paths = resolve_paths(env)
    plan = build_plan(paths, "systemd", env)
    unit = plan.content.decode()
    argv = shlex.split(re.search(r"^ExecStart=(.*)$", unit, re.MULTILINE).group(1))  # type: ignore[union-attr]
    service_env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    for value in re.findall(r"^Environment=(.*)$", unit, re.MULTILINE):
        key, _, val = shlex.split(value)[0].partition("=")
        service_env[key] = val
    daemon = Notified(idm_home, argv=argv, env=service_env, cwd=home)
    try:
        message = daemon.wait_ready()
        assert message["MAINPID"] == str(daemon.proc.pid)
        # It uses the files of the shell that installed it (IDM_HOME came from the unit).
        assert json.loads((idm_home / "daemon.json").read_text())["pid"] == daemon.proc.pid
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.proc.wait(timeout=10) == 0
    finally:
        daemon.close()
