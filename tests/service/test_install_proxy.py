"""``idmd service install`` run with HTTP_PROXY and friends set writes them into the unit
(a service does not see the login shell's variables); one with a password stays private."""

from __future__ import annotations

import plistlib
import re
from pathlib import Path

from idmd.paths import resolve_paths
from idmd.service.cli import build_plan
from idmd.service.units import LAUNCHD
from tests.service.conftest import ServiceEnv


def test_the_proxy_variables_go_into_the_unit(service_env: ServiceEnv) -> None:
    result = service_env.idmd(
        "service",
        "install",
        HTTPS_PROXY="http://proxy.lan:3128",
        no_proxy="localhost,.lan",
        NETRC="/home/u/.netrc",
    )
    assert result.returncode == 0, result.stderr
    text = service_env.unit.read_text()
    assert re.search(r"^Environment=HTTPS_PROXY=http://proxy.lan:3128$", text, re.MULTILINE), text
    assert re.search(r"^Environment=no_proxy=localhost,.lan$", text, re.MULTILINE), text
    assert re.search(r"^Environment=NETRC=/home/u/.netrc$", text, re.MULTILINE), text
    assert service_env.unit.stat().st_mode & 0o777 == 0o644
    assert "HTTP_PROXY=" not in text.replace("HTTPS_PROXY=", "")  # only what was set


def test_a_proxy_password_makes_the_unit_readable_by_its_owner_only(
    service_env: ServiceEnv,
) -> None:
    result = service_env.idmd("service", "install", ALL_PROXY="socks5://u:pw@proxy.lan:1080")
    assert result.returncode == 0, result.stderr
    assert "Environment=ALL_PROXY=socks5://u:pw@proxy.lan:1080" in service_env.unit.read_text()
    assert service_env.unit.stat().st_mode & 0o777 == 0o600


def test_the_launchd_plist_gets_them_too(tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "IDM_HOME": str(tmp_path / "idm"),
        "HTTP_PROXY": "http://u:p@proxy.lan:8080",
    }
    plan = build_plan(resolve_paths(env), LAUNCHD, env)
    assert (
        plistlib.loads(plan.content)["EnvironmentVariables"]["HTTP_PROXY"]
        == "http://u:p@proxy.lan:8080"
    )
    assert plan.private
