"""What ``idmd service`` installs, as pure values: the unit or plist text and
the manager commands that enable, start, stop and query it.

No I/O here (``cli.py`` writes the files and runs the commands), so the plans
are tested without touching the user's service manager.
"""

from __future__ import annotations

import plistlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

UNIT_NAME = "idmd.service"
LABEL = "io.idm.idmd"
SYSTEMD, LAUNCHD = "systemd", "launchd"


@dataclass(frozen=True)
class ServiceSpec:
    """How the service runs the daemon: its argv, environment and log folder."""

    command: tuple[str, ...]
    environment: tuple[tuple[str, str], ...]
    log_dir: Path
    private: bool = False  # the environment holds a password: the file is written 0600


@dataclass(frozen=True)
class Step:
    """One command of a plan; ``may_fail`` for undoing what may not be there."""

    argv: tuple[str, ...]
    may_fail: bool = False

    def __str__(self) -> str:
        return " ".join(shell_quote(a) for a in self.argv)


@dataclass(frozen=True)
class Plan:
    manager: str
    path: Path  # where the unit or plist goes
    content: bytes
    install: tuple[Step, ...]  # register and enable
    start: tuple[Step, ...]  # (re)start, unless another idmd already runs
    uninstall: tuple[Step, ...]  # before the file is removed
    forget: tuple[Step, ...]  # after it is removed
    status: tuple[Step, ...]
    logs_hint: str  # how the user reads the service's output
    private: bool = False  # written 0600 (a proxy password in its environment)


def template(name: str) -> str:
    return resources.files("idmd.service").joinpath(name).read_text(encoding="utf-8")


_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def shell_quote(arg: str) -> str:
    """Quote for a POSIX shell, leaving plain words alone (for the report)."""
    if _SAFE.match(arg):
        return arg
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def systemd_quote(arg: str, variables: bool = True) -> str:
    """One word of an Exec= or Environment= line.

    systemd expands ``%`` specifiers everywhere and ``$VAR`` in the arguments
    of Exec= lines (``variables``: not in the program path, not in
    Environment=), and splits on whitespace; so those are escaped and
    anything unusual is double-quoted.
    """
    escaped = arg.replace("%", "%%")
    if variables:
        escaped = escaped.replace("$", "$$")
    if escaped and re.match(r"^[A-Za-z0-9_@%+=:,./-]+$", escaped):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_systemd_unit(spec: ServiceSpec, kill: str, text: str | None = None) -> str:
    text = template(UNIT_NAME) if text is None else text
    env = "\n".join(
        f"Environment={systemd_quote(f'{k}={v}', variables=False)}" for k, v in spec.environment
    )
    program, *args = spec.command
    return Template(text).substitute(
        exec_start=" ".join(
            [systemd_quote(program, variables=False), *(systemd_quote(a) for a in args)]
        ),
        kill=systemd_quote(kill, variables=False),
        environment=env,
    )


def render_launchd_plist(spec: ServiceSpec, data: bytes | None = None) -> bytes:
    """The shipped plist with the daemon's argv, environment and log paths filled in."""
    if data is None:
        data = resources.files("idmd.service").joinpath(f"{LABEL}.plist").read_bytes()
    plist = plistlib.loads(data)
    plist["ProgramArguments"] = list(spec.command)
    plist["EnvironmentVariables"] = dict(spec.environment)
    # The daemon writes idmd.log itself; this catches what happens before that.
    out = str(spec.log_dir / "idmd.out.log")
    plist["StandardOutPath"] = out
    plist["StandardErrorPath"] = out
    return plistlib.dumps(plist, sort_keys=False)


def systemd_plan(spec: ServiceSpec, config_home: Path, kill: str) -> Plan:
    ctl = ("systemctl", "--user")
    return Plan(
        manager=SYSTEMD,
        path=config_home / "systemd" / "user" / UNIT_NAME,
        content=render_systemd_unit(spec, kill).encode(),
        install=(
            Step((*ctl, "daemon-reload")),
            Step((*ctl, "enable", UNIT_NAME)),
        ),
        # restart, not start: a reinstall must run the new unit.
        start=(Step((*ctl, "restart", UNIT_NAME)),),
        uninstall=(Step((*ctl, "disable", "--now", UNIT_NAME), may_fail=True),),
        forget=(
            Step((*ctl, "daemon-reload"), may_fail=True),
            Step((*ctl, "reset-failed", UNIT_NAME), may_fail=True),
        ),
        status=(
            Step((*ctl, "is-enabled", UNIT_NAME), may_fail=True),
            Step((*ctl, "is-active", UNIT_NAME), may_fail=True),
        ),
        logs_hint=f"journalctl --user -u {UNIT_NAME}",
        private=spec.private,
    )


def launchd_plan(spec: ServiceSpec, home: Path, uid: int) -> Plan:
    path = home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    domain, target = f"gui/{uid}", f"gui/{uid}/{LABEL}"
    return Plan(
        manager=LAUNCHD,
        path=path,
        content=render_launchd_plist(spec),
        install=(
            # An older copy may be loaded; launchd keeps the old definition until booted out.
            Step(("launchctl", "bootout", target), may_fail=True),
            Step(("launchctl", "enable", target)),
            Step(("launchctl", "bootstrap", domain, str(path))),
        ),
        start=(),  # bootstrap starts it (RunAtLoad)
        uninstall=(Step(("launchctl", "bootout", target), may_fail=True),),
        forget=(),
        status=(Step(("launchctl", "print", target), may_fail=True),),
        logs_hint=str(spec.log_dir / "idmd.out.log"),
        private=spec.private,
    )
