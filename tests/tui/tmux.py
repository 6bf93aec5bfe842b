"""A private tmux server for real-terminal tests and benchmarks of idm-tui.

Each instance has its own ``-L`` socket name; reading the screen is
``capture-pane``, and waiting is a bounded poll on what it shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def tui_command(*args: str) -> list[str]:
    # ``python -m`` from the repository: the same entry point as the idm-tui script.
    return [sys.executable, "-m", "idm_tui", *args]


def env_for(home: Path) -> dict[str, str]:
    return {"IDM_HOME": str(home), "TERM": "xterm-256color", "PYTHONPATH": str(REPO)}


class Tmux:
    """A private tmux server (``-L``) running one command in a 120x36 window."""

    def __init__(self, tmux: str) -> None:
        self.tmux = tmux
        self.name = f"idm-tui-test-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str) -> str:
        return subprocess.run(
            [self.tmux, "-L", self.name, *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        ).stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        exports = [f"-e{key}={value}" for key, value in env.items()]
        # COLUMNS/LINES from the test runner would override the pane's real size.
        server_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
        subprocess.run(
            [
                self.tmux,
                "-L",
                self.name,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "36",
                *exports,
                "-c",
                str(REPO),
                *command,
            ],
            check=True,
            timeout=10,
            env=server_env,
        )
        self.run("set-option", "-t", "0", "remain-on-exit", "on")

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "0")

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        """Poll the pane until ``text`` shows (a bounded wait on a condition)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never showed; the screen was:\n{screen}")
            time.sleep(0.1)

    def pane_dead(self) -> bool:
        return self.run("display-message", "-p", "-t", "0", "#{pane_dead}").strip() == "1"

    def pane_pid(self) -> int:
        return int(self.run("display-message", "-p", "-t", "0", "#{pane_pid}").strip())

    def kill(self) -> None:
        subprocess.run(
            [self.tmux, "-L", self.name, "kill-server"],
            capture_output=True,
            check=False,
            timeout=10,
        )
