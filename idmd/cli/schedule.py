"""``idm queue …`` and ``idm schedule …``: named queues with their windows, and speed windows.

Windows are written as the daemon reads them, ``mon-fri 08:00-18:00`` (a
speed window adds its limit: ``mon-fri 08:00-18:00 1M``); the daemon checks
them (idmd/protocol/schedule.py) and its message names what is wrong.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from idmd.cli import exits
from idmd.cli.format import table
from idmd.client import Client
from idmd.core.human import human_speed
from idmd.protocol.schedule import start_time


def add_parsers(sub: Any) -> None:
    """The ``queue`` and ``schedule`` subcommands, under ``idm``'s subparsers."""
    queue = sub.add_parser("queue", help="named queues: when their downloads may run")
    qsub = queue.add_subparsers(dest="queue_action", metavar="ACTION")
    ls = qsub.add_parser("ls", help="list the queues (the default)")
    ls.add_argument("--json", action="store_true")
    put = qsub.add_parser("set", help="create a queue or change one")
    put.add_argument("name")
    put.add_argument(
        "-w",
        "--window",
        action="append",
        metavar="'DAYS HH:MM-HH:MM'",
        help="when the queue runs, e.g. 'mon-fri 18:00-08:00' (repeat for more; replaces them)",
    )
    put.add_argument(
        "--no-windows", action="store_true", help="no windows: the queue may run at any time"
    )
    put.add_argument(
        "--start-at",
        metavar="TIME",
        help="not before this time: HH:MM (the next one) or an ISO date and time; 'none' to clear",
    )
    put.add_argument(
        "--stop-when-done",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="hold the queue when its last download ends, until its next window opens",
    )
    put.add_argument(
        "--max-active",
        type=int,
        metavar="N",
        help="at most N of its downloads at once (0: no limit of its own; the config's"
        " max_active still applies)",
    )
    put.add_argument("--json", action="store_true")
    for action, text in (
        ("rm", "remove a queue (its downloads join the default queue)"),
        ("start", "start a queue held by hand or when it was done"),
        ("stop", "hold a queue: its running downloads go back to waiting"),
    ):
        qsub.add_parser(action, help=text).add_argument("name")

    schedule = sub.add_parser("schedule", help="the speed limit by time of day")
    ssub = schedule.add_subparsers(dest="schedule_action", metavar="ACTION")
    show = ssub.add_parser("show", help="the speed windows and the limit now (the default)")
    show.add_argument("--json", action="store_true")
    put = ssub.add_parser("set", help="replace the speed windows")
    put.add_argument(
        "windows",
        nargs="+",
        metavar="'DAYS HH:MM-HH:MM LIMIT'",
        help="e.g. 'mon-fri 08:00-18:00 1M' (0: unlimited in that window)",
    )
    ssub.add_parser("clear", help="no speed windows: the config's speed_limit at all times")


def _windows(items: list[dict[str, Any]]) -> str:
    return ", ".join(w["text"] for w in items) or "any time"


def queue_rows(queues: list[dict[str, Any]]) -> str:
    rows = []
    for q in queues:
        state = "open" if q["open"] else ("held" if q["held"] else "closed")
        jobs = q["jobs"]
        rows.append(
            [
                q["name"],
                state,
                _windows(q["windows"]),
                q["start_at"] or "",
                "yes" if q["stop_when_done"] else "",
                f"{jobs['downloading']}/{jobs['queued']}",
                str(q.get("max_active") or ""),
                q["next_change"] or "",
            ]
        )
    return table(
        rows,
        (
            "QUEUE",
            "NOW",
            "WINDOWS",
            "START AT",
            "STOP WHEN DONE",
            "RUN/WAIT",
            "MAX",
            "NEXT CHANGE",
        ),
    )


def _limit(value: int | None) -> str:
    return "unlimited" if not value else human_speed(value)


def limits_text(result: dict[str, Any]) -> str:
    rows = [[item["text"], _limit(item["limit"])] for item in result["limits"]]
    lines = [table(rows, ("WINDOW", "LIMIT")) if rows else "no speed windows"]
    window = "none" if result["limit"] is None else _limit(result["limit"])
    lines.append(
        f"now {result['now']}: window {window}, effective {_limit(result['effective'])}"
        + (f", next change {result['next_change']}" if result["next_change"] else "")
    )
    return "\n".join(lines)


def _print(value: Any, as_json: bool, text: str) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False) if as_json else text)


async def queue(client: Client, args: argparse.Namespace) -> int:
    action = args.queue_action or "ls"
    if action == "ls":
        queues = await client.call("queues.list")
        _print(queues, getattr(args, "json", False), queue_rows(queues))
    elif action == "set":
        params: dict[str, Any] = {"name": args.name}
        if args.window or args.no_windows:
            params["windows"] = [] if args.no_windows else args.window
        if args.start_at is not None:
            params["start_at"] = start_time(args.start_at)
        if args.stop_when_done is not None:
            params["stop_when_done"] = args.stop_when_done
        if args.max_active is not None:
            params["max_active"] = args.max_active
        got = await client.call("queues.set", params)
        _print(got, args.json, queue_rows([got]))
    elif action == "rm":
        await client.call("queues.remove", {"name": args.name})
        print(f"removed queue {args.name}")
    else:
        got = await client.call(f"queues.{action}", {"name": args.name})
        print(queue_rows([got]))
    return exits.OK


async def schedule(client: Client, args: argparse.Namespace) -> int:
    action = args.schedule_action or "show"
    if action == "show":
        got = await client.call("schedule.get")
    else:
        got = await client.call("schedule.set", {"limits": args.windows if action == "set" else []})
    _print(got, getattr(args, "json", False), limits_text(got))
    return exits.OK
