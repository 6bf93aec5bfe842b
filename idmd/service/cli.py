"""``idmd service install|uninstall|status``: carry out a plan from ``units.py``.

Writes or removes the unit file, runs ``systemctl --user`` or ``launchctl``
and says what it did (or, with ``--dry-run``, what it would do).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from idmd import instance
from idmd.paths import Paths
from idmd.service.units import LAUNCHD, SYSTEMD, Plan, ServiceSpec, Step, launchd_plan, systemd_plan

EXIT_OK, EXIT_ERROR, EXIT_NOT_RUNNING = 0, 1, 3

# systemctl --user without a user manager: over ssh, su, in containers.
# Proxy variables (both spellings: programs differ in which they read) and curl's NETRC.
PASSED_ON = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "NETRC",
)
NO_USER_MANAGER = (
    "There is no systemd user manager in this session (ssh, su or a container?). "
    "Log in normally, or run `loginctl enable-linger` once;"
    " or start the daemon with `idmd --detach`."
)


class StepFailed(RuntimeError):
    """A step that must succeed did not; the message says which and why."""


def run_service_command(
    action: str,
    *,
    dry_run: bool = False,
    paths: Paths,
    platform: str | None = None,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Install, uninstall or report the user service; returns the exit status."""
    env = os.environ if env is None else env
    out = sys.stdout if out is None else out
    plan = build_plan(paths, manager_for(platform or sys.platform), env)
    try:
        if action == "install":
            return _install(plan, paths, dry_run, env, out)
        if action == "uninstall":
            return _uninstall(plan, dry_run, env, out)
        if action == "status":
            return _status(plan, paths, env, out)
    except (StepFailed, OSError) as exc:  # OSError: e.g. an unwritable ~/.config
        print(f"idmd service: {exc}", file=sys.stderr)
        return EXIT_ERROR
    raise ValueError(f"unknown service action {action!r}")


def manager_for(platform: str) -> str:
    return LAUNCHD if platform == "darwin" else SYSTEMD


def daemon_command(executable: str = sys.executable) -> tuple[str, ...]:
    """The absolute command that starts this very idmd.

    The ``idmd`` script beside the interpreter (a venv, pipx) when there is
    one, else ``python -m idmd``: never whichever idmd PATH finds first.
    """
    python = Path(os.path.abspath(executable))
    script = python.parent / "idmd"
    if script.is_file() and os.access(script, os.X_OK):
        return (str(script),)
    return (str(python), "-m", "idmd")


def build_plan(paths: Paths, manager: str, env: Mapping[str, str]) -> Plan:
    home = Path(env.get("HOME") or Path.home())
    environment: list[tuple[str, str]] = []
    if env.get("IDM_HOME"):
        # The service must use the same files as the shell that installed it.
        environment.append(("IDM_HOME", str(Path(env["IDM_HOME"]).expanduser().resolve())))
    # The service runs without the login shell's variables: the proxy the user set, and the
    # netrc file they point at, are written into it (idm reads them as curl does).
    environment += [(name, env[name]) for name in PASSED_ON if env.get(name)]
    if manager == LAUNCHD and env.get("PATH"):
        # launchd's PATH is /usr/bin:/bin:/usr/sbin:/sbin: no Homebrew ffmpeg without this.
        environment.append(("PATH", env["PATH"]))
    spec = ServiceSpec(
        daemon_command(), tuple(environment), paths.log_file.parent, _has_password(environment)
    )
    if manager == LAUNCHD:
        return launchd_plan(spec, home, os.getuid())
    xdg = env.get("XDG_CONFIG_HOME", "")
    config_home = Path(xdg) if os.path.isabs(xdg) else home / ".config"
    kill = shutil.which("kill", path=env.get("PATH")) or "/bin/kill"
    return systemd_plan(spec, config_home, kill)


def _has_password(environment: list[tuple[str, str]]) -> bool:
    """A proxy variable with ``user:password@``: the file is then the user's alone (0600)."""
    return any(
        urlsplit(value if "://" in value else f"//{value}").password is not None
        for name, value in environment
        if name.lower().endswith("_proxy")
    )


def _tool(plan: Plan) -> str:
    return "launchctl" if plan.manager == LAUNCHD else "systemctl"


def _tool_missing(plan: Plan, env: Mapping[str, str]) -> str | None:
    tool = _tool(plan)
    if shutil.which(tool, path=env.get("PATH")) is not None:
        return None
    return (
        f"{tool} is not on PATH, so there is no {plan.manager} to run the service; "
        "start the daemon with `idmd --detach` instead"
    )


def _run(step: Step, env: Mapping[str, str], out: TextIO) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(step.argv, capture_output=True, text=True, env=dict(env), check=False)
    if result.returncode != 0 and not step.may_fail:
        detail = (result.stderr or result.stdout).strip()
        message = f"`{step}` failed (exit status {result.returncode})" + (
            f": {detail}" if detail else ""
        )
        if "Failed to connect to bus" in detail:
            message += f"\n{NO_USER_MANAGER}"
        raise StepFailed(message)
    print(
        f"ran: {step}"
        + (f"  (exit status {result.returncode}, ignored)" if result.returncode else ""),
        file=out,
    )
    return result


def _write(path: Path, content: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(content)
    os.chmod(tmp, 0o600 if private else 0o644)
    os.replace(tmp, path)


def _install(plan: Plan, paths: Paths, dry_run: bool, env: Mapping[str, str], out: TextIO) -> int:
    missing = _tool_missing(plan, env)
    other = _running_outside(plan, paths)
    steps = plan.install if other else plan.install + plan.start
    if dry_run:
        print(f"would write {plan.path}:", file=out)
        for line in plan.content.decode().splitlines():
            print(f"    {line}", file=out)
        for step in steps:
            print(f"would run: {step}", file=out)
        if missing:
            print(f"note: {missing}", file=out)
        if other:
            print(f"note: {_already_running(plan, other)}", file=out)
        return EXIT_OK
    if missing:
        raise StepFailed(missing)
    _write(plan.path, plan.content, plan.private)
    print(f"wrote {plan.path}", file=out)
    try:
        for step in steps:
            _run(step, env, out)
    except StepFailed as exc:
        undo = f"{plan.path} stays in place; `idmd service uninstall` removes it"
        raise StepFailed(f"{exc}\n{undo}") from None
    if other:
        print(_already_running(plan, other), file=out)
    else:
        print(f"idmd now runs as a {plan.manager} user service.", file=out)
    print("It starts when you log in.", file=out)
    if plan.manager == SYSTEMD:
        print("To keep it running while you are logged out: loginctl enable-linger", file=out)
    print(f"Logs: {plan.logs_hint} and {paths.log_file}", file=out)
    print("Undo: idmd service uninstall", file=out)
    return EXIT_OK


def _running_outside(plan: Plan, paths: Paths) -> int | None:
    """The pid of an idmd that the service cannot own (it was not installed),
    which a service instance would only collide with (exit status 3)."""
    if plan.path.exists():
        return None  # most likely the service's own daemon, which restart replaces
    info = instance.read_daemon_file(paths.daemon_file) or {}
    pid = info.get("pid")
    return pid if isinstance(pid, int) and _alive(pid) else None


def _already_running(plan: Plan, pid: int) -> str:
    if plan.start:
        start = f"`{plan.start[-1]}`"
        return (
            f"not started: idmd already runs as pid {pid}; stop it (kill {pid}), then run {start}"
        )
    return f"idmd already runs as pid {pid}; the service takes over once that one stops"


def _uninstall(plan: Plan, dry_run: bool, env: Mapping[str, str], out: TextIO) -> int:
    if not plan.path.exists():
        print(f"nothing to do: {plan.path} does not exist (the service is not installed)", file=out)
        return EXIT_OK
    if dry_run:
        for step in plan.uninstall:
            print(f"would run: {step}", file=out)
        print(f"would remove {plan.path}", file=out)
        for step in plan.forget:
            print(f"would run: {step}", file=out)
        return EXIT_OK
    missing = _tool_missing(plan, env)
    if missing is None:
        for step in plan.uninstall:
            _run(step, env, out)
    plan.path.unlink()
    print(f"removed {plan.path}", file=out)
    if missing is None:
        for step in plan.forget:
            _run(step, env, out)
    print("The service is gone; your downloads, history and config are kept.", file=out)
    return EXIT_OK


def _status(plan: Plan, paths: Paths, env: Mapping[str, str], out: TextIO) -> int:
    installed = plan.path.exists()
    if not installed:
        print(
            f"not installed ({plan.path} does not exist); `idmd service install` installs it",
            file=out,
        )
    else:
        current = plan.path.read_bytes() == plan.content
        note = (
            "up to date" if current else "differs from what `idmd service install` would write now"
        )
        print(f"installed: {plan.path} ({note})", file=out)
    running = False
    missing = _tool_missing(plan, env)
    if missing:
        print(f"note: {missing}", file=out)
    elif installed:
        running = _manager_says_running(plan, env, out)
    info = instance.read_daemon_file(paths.daemon_file)
    if info and _alive(info.get("pid")):
        print(f"daemon: pid {info['pid']}, {info.get('url', '?')}", file=out)
    else:
        print("daemon: not running", file=out)
    return EXIT_OK if installed and running else EXIT_NOT_RUNNING


def _manager_says_running(plan: Plan, env: Mapping[str, str], out: TextIO) -> bool:
    answers = []
    for step in plan.status:
        result = subprocess.run(
            step.argv, capture_output=True, text=True, env=dict(env), check=False
        )
        answers.append((result.returncode, result.stdout))
    if plan.manager == SYSTEMD:
        enabled, active = (text.strip() or f"exit status {code}" for code, text in answers)
        print(f"{plan.manager}: {enabled}, {active}", file=out)
        return active == "active"
    code, text = answers[0]
    running = code == 0 and "state = running" in text
    state = "running" if running else "loaded, not running" if code == 0 else "not loaded"
    print(f"{plan.manager}: {state}", file=out)
    return running


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
