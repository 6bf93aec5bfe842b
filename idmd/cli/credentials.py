"""``idm credentials add|list|remove HOST``: the per-site users and passwords idmd keeps.

The password is asked on the terminal (or read from one line of stdin) rather
than taken on the command line, where ``ps`` and shell history would see it;
``list`` shows hosts and users only, as the daemon never sends passwords back.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from idmd.cli import exits
from idmd.cli.format import table
from idmd.client import Client


def register(sub: Any) -> None:
    """The ``credentials`` subcommand on ``idm``'s parser."""
    parser = sub.add_parser(
        "credentials",
        help="keep, list or forget a user and password per site",
        usage="idm credentials [-h] {add,list,remove} [HOST] [--user USER] [--json]",
    )
    parser.add_argument("action", choices=["add", "list", "remove"])
    parser.add_argument(
        "host", nargs="?", metavar="HOST", help="example.org or example.org:8080 (a URL is fine)"
    )
    parser.add_argument("--user", help="the user name (add)")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (add; default: ask)",
    )
    parser.add_argument("--json", action="store_true", help="list as JSON")


async def credentials(client: Client, args: argparse.Namespace) -> int:
    if args.action == "list":
        rows = await client.call("credentials.list")
        if args.json:
            print(json.dumps(rows, indent=2))
        elif rows:
            print(table([[r["host"], r["user"]] for r in rows], ("HOST", "USER")))
        else:
            print("no credentials kept (idm credentials add HOST --user USER)")
        return exits.OK
    if not args.host:
        raise SystemExit(f"idm: credentials {args.action} needs a HOST")
    if args.action == "remove":
        await client.call("credentials.remove", {"host": args.host})
        print(f"forgot the credentials for {args.host}")
        return exits.OK
    if not args.user:
        raise SystemExit("idm: credentials add needs --user USER")
    password = _password(args)
    kept = await client.call(
        "credentials.add", {"host": args.host, "user": args.user, "password": password}
    )
    print(f"kept {kept['user']} for {kept['host']}")
    return exits.OK


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass(f"password for {args.user} at {args.host}: ")
