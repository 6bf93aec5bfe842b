"""Fixtures for the service tests: a temporary HOME whose PATH starts with a
fake ``systemctl`` and ``launchctl`` (replaced at the process boundary only)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from idmd.paths import resolve_paths
from idmd.service.cli import run_service_command

ROOT = Path(__file__).resolve().parents[2]
FAKE = Path(__file__).with_name("fake_manager.py")


@dataclass
class ServiceEnv:
    home: Path
    config_home: Path
    idm_home: Path
    log: Path
    env: dict[str, str]

    @property
    def unit(self) -> Path:
        return self.config_home / "systemd" / "user" / "idmd.service"

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def idmd(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run ``idmd ARGS`` as the user would, in this environment."""
        return subprocess.run(
            [sys.executable, "-m", "idmd", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def service(self, action: str, *flags: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``idmd service ACTION`` run in this process: the same code past the
        argument parsing, without paying a daemon's imports each time."""
        full = {**self.env, **env}
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err):
            code = run_service_command(
                action, dry_run="--dry-run" in flags, paths=resolve_paths(full), env=full, out=out
            )
        return subprocess.CompletedProcess([action, *flags], code, out.getvalue(), err.getvalue())


@pytest.fixture
def service_env(tmp_path: Path) -> ServiceEnv:
    home = tmp_path / "home"
    config_home = tmp_path / "xdg-config"  # not ~/.config: XDG_CONFIG_HOME must be honoured
    idm_home = tmp_path / "idm"
    fake_bin = tmp_path / "bin"
    for folder in (home, idm_home, fake_bin):
        folder.mkdir()
    for name in ("systemctl", "launchctl"):
        script = fake_bin / name
        script.write_text(f"#!{sys.executable}\n{FAKE.read_text()}")
        script.chmod(0o755)
    log = tmp_path / "manager-calls.jsonl"
    env = dict(
        os.environ,
        HOME=str(home),
        XDG_CONFIG_HOME=str(config_home),
        IDM_HOME=str(idm_home),
        PATH=f"{fake_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        FAKE_MANAGER_LOG=str(log),
    )
    env.pop("NOTIFY_SOCKET", None)
    return ServiceEnv(home, config_home, idm_home, log, env)
