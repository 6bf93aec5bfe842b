"""The unit and plist as text, the daemon's command line in them, and the
launchd plan carried out against a fake ``launchctl``."""

from __future__ import annotations

import io
import os
import plistlib
import subprocess
from pathlib import Path

from idmd.paths import resolve_paths
from idmd.service.cli import daemon_command, run_service_command
from idmd.service.units import ServiceSpec, render_launchd_plist, render_systemd_unit, systemd_plan
from tests.conftest import require_tool
from tests.service.conftest import ServiceEnv


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_command_is_the_idmd_beside_the_interpreter(tmp_path: Path) -> None:
    python = executable(tmp_path / "venv" / "bin" / "python")
    idmd = executable(tmp_path / "venv" / "bin" / "idmd")

    assert daemon_command(str(python)) == (str(idmd),)


def test_without_an_idmd_script_the_command_is_python_dash_m(tmp_path: Path) -> None:
    python = executable(tmp_path / "bin" / "python3")

    assert daemon_command(str(python)) == (str(python), "-m", "idmd")


def test_odd_characters_in_paths_survive_systemd_parsing(tmp_path: Path) -> None:
    """Spaces, % and $ would be split or expanded by systemd unless escaped;
    systemd-analyze checks that the ExecStart binary exists, so it proves it."""
    analyze = require_tool("systemd-analyze")
    program = executable(tmp_path / "my apps 100% $HOME" / "idmd")
    spec = ServiceSpec(
        (str(program), "--download-dir", "/tmp/$a b"), (("IDM_HOME", "/x/50% off"),), tmp_path
    )
    plan = systemd_plan(spec, tmp_path / "config", "/bin/kill")
    unit = tmp_path / "idmd.service"
    unit.write_bytes(plan.content)

    check = subprocess.run(
        [analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True, check=False
    )

    assert (check.returncode, check.stderr) == (0, "")
    text = render_systemd_unit(spec, "/bin/kill")
    # Arguments get $VAR expansion (so $$), the program path and Environment= do not.
    assert '--download-dir "/tmp/$$a b"' in text
    assert 'Environment="IDM_HOME=/x/50%% off"' in text


def test_the_plist_carries_command_environment_and_log_folder(tmp_path: Path) -> None:
    spec = ServiceSpec(("/opt/idm/bin/idmd",), (("IDM_HOME", "/Users/a&b <c>"),), tmp_path / "Logs")

    plist = plistlib.loads(render_launchd_plist(spec))

    assert plist["Label"] == "io.idm.idmd"
    assert plist["ProgramArguments"] == ["/opt/idm/bin/idmd"]
    assert plist["EnvironmentVariables"] == {"IDM_HOME": "/Users/a&b <c>"}
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}  # restarted unless it stopped cleanly
    assert Path(plist["StandardErrorPath"]).parent == tmp_path / "Logs"


def test_launchd_install_and_uninstall(service_env: ServiceEnv, monkeypatch) -> None:
    monkeypatch.setenv("PATH", service_env.env["PATH"])  # subprocesses find the fake launchctl
    paths = resolve_paths(service_env.env)
    agent = service_env.home / "Library" / "LaunchAgents" / "io.idm.idmd.plist"
    target = f"gui/{os.getuid()}/io.idm.idmd"
    out = io.StringIO()

    code = run_service_command(
        "install", paths=paths, platform="darwin", env=service_env.env, out=out
    )

    assert code == 0, out.getvalue()
    plist = plistlib.loads(agent.read_bytes())
    assert os.path.isabs(plist["ProgramArguments"][0])
    assert plist["EnvironmentVariables"]["IDM_HOME"] == str(service_env.idm_home)
    assert Path(plist["StandardOutPath"]).parent == paths.log_file.parent
    assert service_env.calls() == [
        ["launchctl", "bootout", target],
        ["launchctl", "enable", target],
        ["launchctl", "bootstrap", f"gui/{os.getuid()}", str(agent)],
    ]
    status = io.StringIO()
    assert (
        run_service_command(
            "status", paths=paths, platform="darwin", env=service_env.env, out=status
        )
        == 0
    )
    assert "launchd: running" in status.getvalue()

    service_env.log.unlink()
    assert (
        run_service_command(
            "uninstall", paths=paths, platform="darwin", env=service_env.env, out=out
        )
        == 0
    )
    assert not agent.exists()
    assert service_env.calls() == [["launchctl", "bootout", target]]
