"""``idm-tui``: the terminal UI. It attaches to the daemon named by daemon.json
(or ``--url``/``--token``) and starts ``idmd --detach`` when none answers,
saying so, unless ``--no-autostart``. Quitting leaves the daemon running."""

from __future__ import annotations

import argparse
import sys

from idm_tui import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idm-tui", description="The idm download manager in the terminal."
    )
    parser.add_argument("--version", action="version", version=f"idm-tui {__version__}")
    parser.add_argument("--url", help="the daemon's WebSocket URL (default: from daemon.json)")
    parser.add_argument("--token", help="the daemon's token (default: the token file)")
    parser.add_argument(
        "--no-autostart",
        action="store_true",
        help="do not start idmd when none is running; exit with status 1 instead",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Imported after parsing so --help and --version stay instant.
    from idm_tui.app import IdmApp
    from idm_tui.link import connect_factory, start_daemon

    # With --url the daemon may be anywhere: only the local one from daemon.json can be started.
    app = IdmApp(
        connect_factory(args.url, args.token, autostart=not args.no_autostart),
        daemon_starter=start_daemon if args.url is None else None,
    )
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
