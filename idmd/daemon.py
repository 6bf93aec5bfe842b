"""``idmd``: the daemon's command line, start-up and shutdown.

Runs in the foreground (systemd ``Type=notify`` readiness, SIGTERM/SIGINT
graceful stop, SIGHUP config reload) or ``--detach``es itself.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from idmd import __version__, instance, sdnotify
from idmd.config import Config, ConfigError, build_config, read_toml, to_toml
from idmd.engine.tls import bundle_unread
from idmd.events import EventBus
from idmd.paths import Paths, resolve_paths
from idmd.runtime_config import read_runtime, runtime_file

with bundle_unread():  # aiohttp's import would load the CA bundle twice (idmd/engine/tls.py)
    from aiohttp import web

    from idmd.context import DaemonContext

log = logging.getLogger("idmd")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_RUNNING = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idmd", description="The idm download daemon.")
    parser.add_argument("--version", action="version", version=f"idmd {__version__}")
    parser.add_argument("--port", type=int, help="RPC port (0: any free port)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--download-dir", help="where downloads go")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"])
    parser.add_argument(
        "--fleet", metavar="URL", help="join the fleet on this NATS server (nats://HOST:4222)"
    )
    parser.add_argument(
        "--print-config", action="store_true", help="print the effective config and exit"
    )
    parser.add_argument("--detach", action="store_true", help="run in the background")
    sub = parser.add_subparsers(dest="command")
    service = sub.add_parser("service", help="install or remove the user service")
    service.add_argument("action", choices=["install", "uninstall", "status"])
    service.add_argument("--dry-run", action="store_true", help="say what would be done")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    pairs = {
        "port": args.port,
        "host": args.host,
        "download_dir": args.download_dir,
        "log_level": args.log_level,
        "fleet_url": args.fleet,
    }
    return {k: v for k, v in pairs.items() if v is not None}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    paths = resolve_paths()
    if args.command == "service":
        from idmd.service.cli import run_service_command

        return run_service_command(args.action, dry_run=args.dry_run, paths=paths)
    overrides = _overrides(args)
    try:
        file_values = read_toml(paths.config_file)
        runtime = read_runtime(runtime_file(paths.config_file))
        config = build_config(file_values, runtime, overrides)
    except ConfigError as exc:
        print(f"idmd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.print_config:
        sys.stdout.write(_config_sources(paths, config) + to_toml(config))
        return EXIT_OK
    paths.ensure()
    try:
        lock = instance.acquire_lock(paths.lock_file, paths.daemon_file)
    except instance.AlreadyRunning as exc:
        print(f"idmd: {exc}", file=sys.stderr)
        return EXIT_RUNNING
    if args.detach:
        lock.close()  # the detached child takes it; a daemon that wins the race is reported below
        return _detach(paths, argv if argv is not None else sys.argv[1:])
    _setup_logging(paths, config.log_level)
    token = instance.load_or_create_token(paths.token_file)
    ctx = DaemonContext(
        config,
        paths,
        token,
        EventBus(config.event_retention),
        overrides,
        file_values=file_values,
        runtime=runtime,
    )
    try:
        asyncio.run(_serve(ctx))
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", config.host, config.port, exc.strerror or exc)
        return EXIT_ERROR
    finally:
        paths.daemon_file.unlink(missing_ok=True)
        lock.close()
    return EXIT_OK


HEADER_TIMEOUT = (
    5.0  # seconds a connection may take to send its request (and stay idle between them)
)


async def _serve(ctx: DaemonContext) -> None:
    from idmd.app import create_app  # the engine's imports are paid after argument parsing

    _handle_signals(ctx)  # before READY: a service manager may send SIGTERM the moment it sees it
    # keepalive_timeout also bounds a connection that never completes its request headers
    # (aiohttp arms it at connect): half-sent requests cannot be held open for an hour.
    runner = web.AppRunner(
        create_app(ctx),
        handle_signals=False,
        shutdown_timeout=1.0,
        keepalive_timeout=HEADER_TIMEOUT,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, ctx.config.host, ctx.config.port)
        await site.start()
        ctx.port = int(runner.addresses[0][1])  # the bound port, also when --port 0
        url = f"ws://{_url_host(ctx.config.host)}:{ctx.port}/rpc"
        instance.write_daemon_file(
            ctx.paths.daemon_file,
            {
                "pid": os.getpid(),
                "url": url,
                "port": ctx.port,
                "started_at": ctx.started_at,
                "version": __version__,
            },
        )
        log.info("idmd %s listening on %s", __version__, url)
        sdnotify.notify(f"READY=1\nMAINPID={os.getpid()}\nSTATUS=listening on {url}")
        await ctx.stop_requested.wait()
        sdnotify.notify("STOPPING=1")
        log.info("stopping")
    finally:
        await runner.cleanup()


def _handle_signals(ctx: DaemonContext) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, ctx.stop_requested.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: _reload(ctx))


def _reload(ctx: DaemonContext) -> None:
    try:
        needs_restart = ctx.reload_config()
    except ConfigError as exc:
        log.error("config not reloaded: %s", exc)
        return
    logging.getLogger().setLevel(ctx.config.log_level.upper())
    if needs_restart:
        log.warning(
            "config reloaded; these keys take effect after a restart: %s", ", ".join(needs_restart)
        )
    else:
        log.info("config reloaded")


def _config_sources(paths: Paths, config: Config) -> str:
    """Comment lines saying where the printed values come from, and where files go."""

    def state(path: Path, missing: str) -> str:
        return str(path) if path.exists() else f"{path} ({missing})"

    folder = Path(config.download_dir).expanduser() if config.download_dir else paths.downloads
    return (
        f"# read from: {state(paths.config_file, 'not there: defaults')}\n"
        f"# changed at run time: {state(runtime_file(paths.config_file), 'none')}\n"
        f"# downloads go to: {folder}\n\n"
    )


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _setup_logging(paths: Paths, level: str) -> None:
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level.upper())
    to_file = logging.handlers.RotatingFileHandler(paths.log_file, maxBytes=5 << 20, backupCount=3)
    to_file.setFormatter(fmt)
    to_stderr = logging.StreamHandler()
    to_stderr.setFormatter(fmt)
    root.handlers[:] = [to_file, to_stderr]
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def _detach(paths: Paths, argv: list[str]) -> int:
    """Start a foreground idmd in a new session and wait until it listens."""
    import socket
    import tempfile

    args = [a for a in argv if a != "--detach"]
    with tempfile.TemporaryDirectory() as tmp:
        address = os.path.join(tmp, "notify")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(address)
            sock.settimeout(10)
            env = dict(os.environ, NOTIFY_SOCKET=address)
            proc = subprocess.Popen(
                [sys.executable, "-m", "idmd", *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    message = sock.recv(4096).decode()
                except TimeoutError:
                    break
                if "READY=1" in message:
                    info = instance.read_daemon_file(paths.daemon_file) or {}
                    print(f"idmd started (pid {proc.pid}) on {info.get('url', '?')}")
                    return EXIT_OK
    code = proc.poll()
    if code == EXIT_RUNNING:
        try:  # another idmd started between our check and the child's: name it
            instance.acquire_lock(paths.lock_file, paths.daemon_file).close()
        except instance.AlreadyRunning as exc:
            print(f"idmd: {exc}", file=sys.stderr)
            return EXIT_RUNNING
    print(
        f"idmd: the daemon did not start (exit status {code}); see {paths.log_file}",
        file=sys.stderr,
    )
    return EXIT_RUNNING if code == EXIT_RUNNING else EXIT_ERROR
