"""The architecture's boundaries, checked on the source (docs/architecture.md).

The pure core imports no I/O library and nothing of the daemon; the daemon
imports no textual; only the media worker imports yt_dlp; the TUI reaches the
daemon only through ``idmd.client`` and ``idmd.protocol``, and may share the
pure ``idmd.core`` (how sizes and speeds read, ``idmd.core.human``).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def offenders(package: str, forbidden: tuple[str, ...], allow: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sources(package):
        rel = path.relative_to(ROOT).as_posix()
        if rel in allow:
            continue
        for name in imported_modules(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{rel} imports {name}")
    return found


def test_the_core_and_protocol_do_no_io() -> None:
    forbidden = ("aiohttp", "sqlite3", "yt_dlp", "textual")
    assert (
        offenders("idmd/core", forbidden + ("idmd.engine", "idmd.rpc", "idmd.store", "idmd.client"))
        == []
    )
    assert offenders("idmd/protocol", forbidden + ("idmd.engine", "idmd.rpc")) == []


def test_the_aria2_face_is_transport_free_but_for_its_server() -> None:
    # Only server.py knows aiohttp; and the face reaches the engine through its public
    # API and idm's namespaces, never its modules (docs/internals.md).
    assert offenders("idmd/aria2", ("aiohttp",), allow=("idmd/aria2/server.py",)) == []
    assert [
        f
        for f in offenders("idmd/aria2", ("idmd.engine",))
        if not f.endswith("imports idmd.engine")
    ] == []


def test_the_daemon_imports_no_textual_and_yt_dlp_only_in_the_worker() -> None:
    assert offenders("idmd", ("textual",)) == []
    assert offenders("idmd", ("yt_dlp",), allow=("idmd/engine/media_worker.py",)) == []


def test_only_the_fleet_imports_nats_and_its_pure_parts_do_not() -> None:
    # idmd/app.py imports idmd.fleet.node only with [fleet] url set (tests/fleet/test_events.py
    # checks at run time that a single daemon leaves nats out of sys.modules).
    fleet = tuple(p.relative_to(ROOT).as_posix() for p in sources("idmd/fleet"))
    pure = (
        "idmd/fleet/__init__.py",
        "idmd/fleet/record.py",
        "idmd/fleet/names.py",
        "idmd/fleet/tap.py",
    )
    assert offenders("idmd", ("nats",), allow=tuple(f for f in fleet if f not in pure)) == []
    assert offenders("idmd/fleet", ("aiohttp", "sqlite3", "textual")) == []


def test_the_tui_talks_only_through_the_client_and_protocol() -> None:
    found = []
    for path in sources("idm_tui"):
        for name in imported_modules(path):
            if name.startswith("idmd") and not name.startswith(
                ("idmd.client", "idmd.protocol", "idmd.core")
            ):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    assert found == []


@pytest.mark.parametrize("module", ["idmd.client", "idmd.cli.main"])
def test_clients_load_without_the_engine_or_textual(module: str) -> None:
    code = (
        f"import sys, {module}; "
        # aiohttp and urllib's cookie jar: a third of every command's start (see
        # idmd/client/websocket.py); the CLI imports its cookie-file reader for --cookies only.
        "heavy = ('textual', 'yt_dlp', 'idmd.engine', 'sqlite3', 'aiohttp', 'http.cookiejar'); "
        "bad = [m for m in heavy if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if "ModuleNotFoundError" in result.stderr and module in result.stderr:
        pytest.fail(f"{module} is missing")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_daemon_starts_without_what_most_daemons_never_use() -> None:
    # Start-up time is mostly imports: SOCKS support (python-socks), package metadata
    # (read at the first daemon.info), yt-dlp and nats are imported when first needed.
    code = (
        "import sys, idmd.daemon, idmd.app, idmd.engine.sessions, idmd.engine.http.errors; "
        "unused = ('aiohttp_socks', 'python_socks', 'importlib.metadata', 'yt_dlp', 'nats'); "
        "print([m for m in unused if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


def test_only_the_engines_sessions_make_http_client_connections() -> None:
    """The daemon imports aiohttp with its default TLS contexts trusting nothing (start-up,
    idmd/engine/tls.py): a session or connector made anywhere but engine/sessions.py, which
    hands each one the real context, would fail every HTTPS download."""
    makers = {"ClientSession", "TCPConnector", "ProxyConnector"}
    found = []
    for path in sources("idmd"):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "idmd/engine/sessions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), rel)):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in makers or (name == "request" and "aiohttp" in ast.unparse(node.func)):
                found.append(f"{rel}:{node.lineno} calls {ast.unparse(node.func)}")
    assert found == []
