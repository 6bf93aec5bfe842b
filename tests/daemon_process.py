"""Start and stop a real ``idmd`` process for tests and benchmarks.

Readiness comes through ``NOTIFY_SOCKET`` (systemd's protocol), so tests wait
for the event, never for a fixed time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DaemonProcess:
    home: Path
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def info(self) -> dict:
        return json.loads((self.home / "daemon.json").read_text())

    @property
    def url(self) -> str:
        return str(self.info["url"])

    @property
    def port(self) -> int:
        return int(self.info["port"])

    @property
    def token(self) -> str:
        return (self.home / "token").read_text().strip()

    @property
    def download_dir(self) -> Path:
        return self.home / "downloads"

    def start(self, timeout: float = 20.0) -> DaemonProcess:
        with tempfile.TemporaryDirectory() as tmp:
            address = os.path.join(tmp, "notify")
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.bind(address)
                sock.settimeout(timeout)
                env = dict(os.environ, IDM_HOME=str(self.home), NOTIFY_SOCKET=address, **self.env)
                log = open(self.home / "stderr.log", "ab")  # noqa: SIM115 - owned by the process
                self.home.mkdir(parents=True, exist_ok=True)
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "idmd", "--port", "0", *self.extra_args],
                    # a relative path the daemon resolves by mistake lands here, not in the repo
                    cwd=self.home,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                )
                log.close()
                try:
                    while b"READY=1" not in sock.recv(4096):
                        pass
                except TimeoutError:
                    self.kill()
                    raise RuntimeError(f"idmd did not become ready:\n{self.stderr()}") from None
        return self

    def stderr(self) -> str:
        path = self.home / "stderr.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM and wait; returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to checkpoint."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
