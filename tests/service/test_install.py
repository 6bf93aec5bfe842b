"""``idmd service install|uninstall|status`` with systemd in a temporary HOME;
``systemctl`` is a fake that records its calls. The main paths run the real
``idmd`` process; the rest call the same code in this process, for speed."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess

from tests.conftest import require_tool
from tests.service.conftest import ServiceEnv

USER = "--user"


def exec_start(unit_text: str) -> list[str]:
    line = re.search(r"^ExecStart=(.*)$", unit_text, re.MULTILINE)
    assert line, unit_text
    return shlex.split(line.group(1))


def test_dry_run_says_what_it_would_do_and_does_nothing(service_env: ServiceEnv) -> None:
    result = service_env.idmd("service", "install", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert f"would write {service_env.unit}" in result.stdout
    assert "Type=notify" in result.stdout
    assert "would run: systemctl --user enable idmd.service" in result.stdout
    assert not service_env.unit.exists()
    assert service_env.calls() == []


def test_install_writes_the_unit_then_enables_and_starts_it(service_env: ServiceEnv) -> None:
    result = service_env.idmd("service", "install")

    assert result.returncode == 0, result.stderr
    text = service_env.unit.read_text()
    for line in (
        "Type=notify",
        "NotifyAccess=main",
        "Restart=on-failure",
        "WantedBy=default.target",
    ):
        assert re.search(rf"^{line}$", text, re.MULTILINE), line
    program = exec_start(text)[0]
    assert os.path.isabs(program) and os.access(program, os.X_OK)
    # The service must use the same files as the shell that installed it.
    assert f"Environment=IDM_HOME={service_env.idm_home}" in text
    assert service_env.calls() == [
        ["systemctl", USER, "daemon-reload"],
        ["systemctl", USER, "enable", "idmd.service"],
        ["systemctl", USER, "restart", "idmd.service"],
    ]
    assert f"wrote {service_env.unit}" in result.stdout
    assert "ran: systemctl --user restart idmd.service" in result.stdout
    assert "idmd service uninstall" in result.stdout


def test_the_installed_unit_passes_systemd_analyze(service_env: ServiceEnv) -> None:
    analyze = require_tool("systemd-analyze")
    assert service_env.service("install").returncode == 0

    # --man=no: the man page is not installed in a development checkout.
    check = subprocess.run(
        [analyze, "verify", "--man=no", str(service_env.unit)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert (check.returncode, check.stderr) == (0, "")


def test_uninstall_stops_disables_and_removes_the_unit(service_env: ServiceEnv) -> None:
    assert service_env.service("install").returncode == 0
    service_env.log.unlink()

    result = service_env.service("uninstall")

    assert result.returncode == 0, result.stderr
    assert not service_env.unit.exists()
    calls = service_env.calls()
    assert calls[0] == ["systemctl", USER, "disable", "--now", "idmd.service"]
    assert ["systemctl", USER, "daemon-reload"] in calls[1:]
    assert f"removed {service_env.unit}" in result.stdout


def test_uninstall_dry_run_keeps_everything(service_env: ServiceEnv) -> None:
    assert service_env.service("install").returncode == 0
    service_env.log.unlink()

    result = service_env.service("uninstall", "--dry-run")

    assert result.returncode == 0
    assert f"would remove {service_env.unit}" in result.stdout
    assert "would run: systemctl --user disable --now idmd.service" in result.stdout
    assert service_env.unit.exists()
    assert service_env.calls() == []


def test_uninstall_when_nothing_is_installed_says_so(service_env: ServiceEnv) -> None:
    result = service_env.service("uninstall")

    assert result.returncode == 0
    assert "not installed" in result.stdout
    assert service_env.calls() == []


def test_a_failing_systemctl_is_reported_with_its_message(service_env: ServiceEnv) -> None:
    result = service_env.idmd("service", "install", FAKE_MANAGER_FAIL="restart")

    assert result.returncode == 1
    assert "`systemctl --user restart idmd.service` failed (exit status 1)" in result.stderr
    assert "Unit idmd.service failed" in result.stderr
    assert "idmd service uninstall" in result.stderr  # how to undo the half-done install


def test_without_systemctl_install_refuses_and_points_to_detach(
    service_env: ServiceEnv, tmp_path
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()

    result = service_env.idmd("service", "install", PATH=str(empty))

    assert result.returncode == 1
    assert "systemctl is not on PATH" in result.stderr
    assert "idmd --detach" in result.stderr
    assert not service_env.unit.exists()


def test_status_reports_the_unit_and_whether_it_runs(service_env: ServiceEnv) -> None:
    before = service_env.service("status")
    assert before.returncode == 3
    assert "not installed" in before.stdout

    assert service_env.service("install").returncode == 0
    running = service_env.service("status")
    stopped = service_env.service("status", FAKE_MANAGER_ACTIVE="inactive")

    assert running.returncode == 0, running.stdout
    assert "up to date" in running.stdout
    assert "systemd: enabled, active" in running.stdout
    assert stopped.returncode == 3
    assert "systemd: enabled, inactive" in stopped.stdout


def test_status_notices_a_unit_edited_since_install(service_env: ServiceEnv) -> None:
    assert service_env.service("install").returncode == 0
    service_env.unit.write_text(
        service_env.unit.read_text().replace("RestartSec=2", "RestartSec=9")
    )

    result = service_env.service("status")

    assert "differs from what `idmd service install` would write now" in result.stdout


def test_install_does_not_start_a_second_daemon_beside_a_running_one(
    service_env: ServiceEnv,
) -> None:
    # An idmd started by hand (this test process stands in for it, alive).
    (service_env.idm_home / "daemon.json").write_text(json.dumps({"pid": os.getpid()}))

    result = service_env.service("install")

    assert result.returncode == 0, result.stderr
    assert service_env.unit.exists()
    assert ["systemctl", USER, "enable", "idmd.service"] in service_env.calls()
    assert ["systemctl", USER, "restart", "idmd.service"] not in service_env.calls()
    assert f"idmd already runs as pid {os.getpid()}" in result.stdout
    assert "systemctl --user restart idmd.service" in result.stdout  # how to start it later


def test_reinstalling_restarts_the_service_with_the_new_unit(service_env: ServiceEnv) -> None:
    assert service_env.service("install").returncode == 0
    # Now the running daemon is the service's own.
    (service_env.idm_home / "daemon.json").write_text(json.dumps({"pid": os.getpid()}))
    service_env.log.unlink()

    result = service_env.service("install")

    assert result.returncode == 0, result.stderr
    assert service_env.calls()[-1] == ["systemctl", USER, "restart", "idmd.service"]


def test_an_unwritable_unit_folder_is_one_clear_error(service_env: ServiceEnv) -> None:
    service_env.config_home.mkdir()
    (service_env.config_home / "systemd").write_text("a file where a folder should be")

    result = service_env.idmd("service", "install")

    assert result.returncode == 1
    assert result.stderr.startswith("idmd service: ")
    assert "Traceback" not in result.stderr
    assert service_env.calls() == []


def test_without_a_user_session_install_says_what_to_do(service_env: ServiceEnv) -> None:
    result = service_env.service(
        "install",
        FAKE_MANAGER_FAIL="daemon-reload",
        FAKE_MANAGER_ERROR="Failed to connect to bus: No medium found",
    )

    assert result.returncode == 1
    assert "Failed to connect to bus" in result.stderr
    assert "loginctl enable-linger" in result.stderr
    assert "idmd --detach" in result.stderr
