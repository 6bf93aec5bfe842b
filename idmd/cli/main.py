"""``idm``: the command line. Parses arguments, connects through ``idmd.client``,
runs one command and maps every failure to one clear line and an exit status."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from idmd import __version__
from idmd.cli import add, commands, credentials, exits, schedule, update
from idmd.cli.refresh import refresh
from idmd.cli.transfer import export, import_
from idmd.client import AuthenticationFailed, Client, ClientError, ConnectionLost, DaemonNotRunning
from idmd.client.discovery import read_token
from idmd.completions import PROGS, SHELLS, script
from idmd.core.units import UnitError, parse_size
from idmd.protocol.errors import RpcError
from idmd.protocol.jobs import Status
from idmd.protocol.options import OPTIONS, Kind, Option
from idmd.protocol.params import DECISIONS, ORDER_KEYS, ORDERS

Command = Callable[[Client, argparse.Namespace], Awaitable[int]]


def size_arg(text: str) -> int:
    """argparse's type for sizes and rates: 500K, 1M, 2.5MiB (the error says the form)."""
    try:
        return parse_size(text)
    except UnitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_option_flags(
    parser: argparse.ArgumentParser, options: tuple[Option, ...] = OPTIONS
) -> None:
    """One flag per job option, from idmd.protocol.options; its dest is the option's name."""
    for option in options:
        kwargs: dict[str, Any] = {"dest": option.name, "help": option.flag.help}
        if option.flag.metavar:
            kwargs["metavar"] = option.flag.metavar
        if option.sized:
            kwargs["type"] = size_arg
        elif option.kind is Kind.INTEGER:
            kwargs["type"] = int
        elif option.kind is Kind.CHOICE:
            kwargs["choices"] = option.choices
        elif option.kind is Kind.BOOLEAN:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif option.kind is Kind.HEADERS:
            kwargs["action"] = "append"  # parsed into an object by add.job_options
        parser.add_argument(*option.flag.names, **kwargs)


def add_bulk_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    """IDs (unique prefixes will do), or every job of --all / --status."""
    parser.add_argument("ids", nargs="*", metavar="ID", help="job ids or unique prefixes of them")
    parser.add_argument(
        "--all",
        action="store_true",
        help="every " + ", ".join(commands.BULK[command]) + " download"
        if command != "rm"
        else "every download",
    )
    parser.add_argument(
        "-s",
        "--status",
        action="append",
        choices=[str(s) for s in Status],
        help="every download in this status",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idm",
        description="Control the idm download daemon (idmd).",
        epilog=exits.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"idm {__version__}")
    parser.add_argument(
        "--url", dest="daemon_url", help="the daemon's WebSocket URL (default: from daemon.json)"
    )
    parser.add_argument("--token", help="the token (default: the token file)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add = sub.add_parser("add", help="download URLs")
    add.add_argument("urls", nargs="*", metavar="URL")
    add.add_argument(
        "-i",
        "--input-file",
        metavar="FILE",
        help="also the URLs in FILE, one a line (- : standard input); aria2c's form",
    )
    add_option_flags(add)
    add.add_argument("-w", "--wait", action="store_true", help="show progress and wait until done")
    add.add_argument(
        "--again",
        action="store_true",
        help="add a URL even when a download of it is already queued or running",
    )
    add.add_argument("--json", action="store_true", help="print the jobs as JSON")

    ls = sub.add_parser("ls", help="list downloads")
    ls.add_argument(
        "-s", "--status", action="append", choices=[str(s) for s in Status], help="only this status"
    )
    ls.add_argument("-q", "--query", help="search names and URLs")
    ls.add_argument("-n", "--limit", type=int, default=100, help="at most this many (1-1000)")
    ls.add_argument(
        "--sort",
        choices=ORDERS,
        default="-created_at",
        metavar="KEY",
        help="sort by " + ", ".join(ORDER_KEYS) + "; '-' first: descending (default -created_at)",
    )
    ls.add_argument("--ids", action="store_true", help="only the ids, one a line")
    ls.add_argument("--json", action="store_true")

    info = sub.add_parser("info", help="one download in detail")
    info.add_argument("id")
    info.add_argument("--json", action="store_true")

    for name, text in (
        ("pause", "pause downloads"),
        ("resume", "resume downloads"),
        ("cancel", "cancel downloads"),
        ("retry", "retry failed or cancelled downloads"),
    ):
        add_bulk_arguments(sub.add_parser(name, help=text), name)
    rm = sub.add_parser("rm", help="remove downloads from the list")
    add_bulk_arguments(rm, "rm")
    rm.add_argument("--delete-files", action="store_true", help="also delete the downloaded files")

    limit = sub.add_parser(
        "limit",
        help="set the speed limit of all downloads or of one",
        usage="idm limit [-h] [ID] RATE",
    )
    limit.add_argument("id", metavar="[ID]", help="a download (default: all downloads together)")
    limit.add_argument(
        "rate", nargs="?", metavar="RATE", help="bytes per second: 500K, 2M; 0: none"
    )

    config = sub.add_parser("config", help="show or change the daemon's settings")
    config.add_argument("action", choices=["get", "set"])
    config.add_argument("key", nargs="?", metavar="KEY")
    config.add_argument("value", nargs="?", metavar="VALUE")

    sub.add_parser("stop", help="stop the daemon")
    completion = sub.add_parser("completion", help="print the shell completion script")
    completion.add_argument("shell", choices=SHELLS)
    # No choices=: argparse rejects an empty list against them (Python < 3.12).
    completion.add_argument("progs", nargs="*", metavar="PROG", help="idm, idmd (default: both)")

    probe = sub.add_parser("probe", help="what a URL is, without downloading")
    probe.add_argument("url")
    probe.add_argument("--json", action="store_true")

    watch = sub.add_parser("watch", help="print events as they happen")
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    watch.add_argument("-t", "--type", dest="types", action="append", help="only this event type")

    pair = sub.add_parser("pair", help="approve, deny, list or revoke browser pairings")
    pair.add_argument("action", choices=["approve", "deny", "list", "revoke"])
    pair.add_argument("arg", nargs="?", metavar="CODE|ID")
    pair.add_argument("--json", action="store_true")

    resolve = sub.add_parser("resolve", help="answer a download that waits because its file exists")
    resolve.add_argument("id")
    resolve.add_argument("action", choices=DECISIONS)

    sub.add_parser("token", help="print the token (for the browser extension's options page)")
    credentials.register(sub)

    fresh = sub.add_parser(
        "refresh", help="give a paused or failed download a new URL, keeping its bytes"
    )
    fresh.add_argument("id")
    fresh.add_argument("url")
    out = sub.add_parser("export", help="write the download list and history to a file")
    out.add_argument(
        "file", nargs="?", metavar="FILE", help="the file to write (default or -: standard output)"
    )
    out.add_argument(
        "--format",
        choices=["json", "urls"],
        default="json",
        help="json: everything idm import reads back (default); urls: one URL a line",
    )
    into = sub.add_parser(
        "import", help="add the downloads and history of an idm export (or a list of URLs)"
    )
    into.add_argument(
        "file", metavar="FILE", help="an idm export or a list of URLs (-: standard input)"
    )
    schedule.add_parsers(sub)  # idm queue …, idm schedule …
    update.register(sub, add_option_flags)  # idm set ID …
    return parser


COMMANDS: dict[str, Command] = {
    "add": add.add,
    "ls": commands.ls,
    "info": commands.info,
    "pause": commands.simple,
    "resume": commands.simple,
    "cancel": commands.simple,
    "retry": commands.simple,
    "rm": commands.rm,
    "probe": commands.probe,
    "watch": commands.watch,
    "pair": commands.pair,
    "resolve": add.resolve,
    "limit": commands.limit,
    "config": commands.config,
    "stop": commands.stop,
    "credentials": credentials.credentials,
    "refresh": refresh,
    "export": export,
    "import": import_,
    "queue": schedule.queue,
    "schedule": schedule.schedule,
    "set": update.set_options,
}


def _follows(args: argparse.Namespace) -> bool:
    """Commands that follow events for a while survive a daemon restart by reconnecting."""
    return args.command == "watch" or (args.command == "add" and args.wait)


def _fail(message: str, status: int) -> int:
    print(f"idm: {message}", file=sys.stderr)
    return status


async def run(args: argparse.Namespace) -> int:
    try:
        client = await Client.connect(
            args.daemon_url, args.token, client_name="idm", reconnect=_follows(args)
        )
    except DaemonNotRunning:
        return _fail("idmd is not running: start it with `idmd` or `idm-tui`", exits.NOT_RUNNING)
    except AuthenticationFailed as exc:
        return _fail(f"{exc} (check --token or the token file)", exits.UNAUTHORIZED)
    except ClientError as exc:
        return _fail(str(exc), exits.NOT_RUNNING)
    try:
        return await COMMANDS[args.command](client, args)
    except RpcError as exc:
        return _fail(exc.detail, exits.ERROR)
    except ConnectionLost as exc:
        return _fail(f"lost the connection to idmd ({exc})", exits.CONNECTION_LOST)
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for prog in getattr(args, "progs", []):
        if prog not in PROGS:
            parser.error(f"no completion for {prog!r}; choose from {', '.join(PROGS)}")
    if args.command == "token":
        token = args.token or read_token()
        if token is None:
            return _fail("no token yet: start idmd once to create it", exits.NOT_RUNNING)
        print(token)
        return exits.OK
    try:
        if args.command == "completion":
            for prog in args.progs or PROGS:  # idmd's too: both come with the package
                sys.stdout.write(script(prog, args.shell))
            return exits.OK
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return exits.INTERRUPTED
    except BrokenPipeError:  # `idm ls | head`
        return exits.OK


if __name__ == "__main__":
    sys.exit(main())
