"""The ``idm`` commands, each an async function of the parsed arguments and a
connected ``Client``; they print and return an exit status. ``idm add`` and
``idm resolve`` are in ``idmd.cli.add``."""

from __future__ import annotations

import argparse
import sys
import tomllib
from typing import Any

from idmd.cli import exits
from idmd.cli.format import event_line, job_details, job_table, json_text, table
from idmd.cli.notices import ConnectionNotices
from idmd.client import Client
from idmd.config import toml_line
from idmd.core.human import human_size, human_speed
from idmd.core.units import UnitError, parse_size
from idmd.protocol.errors import RpcError
from idmd.protocol.jobs import Status
from idmd.protocol.models import Job, JobPage


def _print_json(value: Any, indent: int | None = 2) -> None:
    print(json_text(value, indent), flush=True)


async def ls(client: Client, args: argparse.Namespace) -> int:
    params: dict[str, Any] = {"limit": args.limit, "order": args.sort}
    if args.status:
        params["status"] = args.status
    if args.query:
        params["query"] = args.query
    result: JobPage = await client.call("jobs.list", params)
    if args.json:
        _print_json(result)
        return exits.OK
    jobs = result.get("jobs", [])
    if args.ids:  # for the shell completions: just the ids
        print("\n".join(j["id"] for j in jobs))
        return exits.OK
    if jobs:
        print(job_table(jobs))
    total = result.get("total", len(jobs))
    if total > len(jobs):
        print(f"({len(jobs)} of {total} shown; use --limit)")
    return exits.OK


async def info(client: Client, args: argparse.Namespace) -> int:
    job: Job = await client.call("jobs.get", {"id": args.id})
    if args.json:
        _print_json(job)
        return exits.OK
    print(job_details(job))
    if job.get("status") == "waiting":
        print(
            f"waiting for an answer: {job.get('filename') or job.get('path')} exists; "
            f"idm resolve {job.get('id')} rename|overwrite|skip"
        )
    return exits.OK


# What --all takes for each bulk command: the jobs it can act on.
BULK: dict[str, tuple[str, ...]] = {
    "pause": ("queued", "downloading", "waiting"),
    "resume": ("paused",),
    "cancel": ("queued", "downloading", "paused", "waiting"),
    "retry": ("failed", "cancelled"),
    "rm": tuple(str(s) for s in Status),
}


async def target_ids(client: Client, args: argparse.Namespace) -> list[str]:
    """The ids given, or those of every job in ``--status``/the ``--all`` statuses."""
    every = args.all or args.status
    if args.ids and every:
        raise SystemExit(f"idm {args.command}: give IDs or --all/--status, not both")
    if not every:
        if not args.ids:
            raise SystemExit(f"idm {args.command}: give job IDs, --all or --status STATUS")
        return list(args.ids)
    params: dict[str, Any] = {"status": list(args.status or BULK[args.command]), "limit": 1000}
    ids: list[str] = []
    while True:
        page: JobPage = await client.call("jobs.list", params)
        ids += [job["id"] for job in page.get("jobs", [])]
        if not page.get("cursor") or not page.get("jobs"):
            return ids
        params["cursor"] = page["cursor"]


async def simple(client: Client, args: argparse.Namespace) -> int:
    """pause / resume / cancel / retry: each id's outcome on a line of its own."""
    ids = await target_ids(client, args)
    if not ids:
        print(f"no {' or '.join(args.status or BULK[args.command])} downloads")
    status = exits.OK
    for job_id in ids:
        try:
            jobs: list[Job] = await client.call(f"jobs.{args.command}", {"ids": [job_id]})
        except RpcError as exc:
            print(f"idm: {job_id}: {exc.detail}", file=sys.stderr)
            status = exits.ERROR
            continue
        for job in jobs:
            print(f"{job.get('id')} {job.get('status')}")
    return status


async def rm(client: Client, args: argparse.Namespace) -> int:
    ids = await target_ids(client, args)
    if not ids:
        print(f"no {' or '.join(args.status or BULK['rm'])} downloads")
        return exits.OK
    await client.call("jobs.remove", {"ids": ids, "delete_files": args.delete_files})
    print(f"removed {', '.join(ids)}" + (" and their files" if args.delete_files else ""))
    return exits.OK


async def limit(client: Client, args: argparse.Namespace) -> int:
    """``idm limit RATE``: all downloads together (config speed_limit, kept across
    restarts); ``idm limit ID RATE``: one download."""
    if args.rate is None:
        args.id, args.rate = None, args.id
    try:
        rate = 0 if args.rate.lower() in ("0", "none", "off") else parse_size(args.rate)
    except UnitError as exc:
        raise SystemExit(f"idm limit: {exc} (0 or none: no limit)") from None
    shown = human_speed(rate) if rate else "none"
    if args.id is None:
        await client.call("config.set", {"patch": {"speed_limit": rate}})
        print(f"speed limit of all downloads: {shown}")
    else:
        job: Job = await client.call("jobs.update", {"id": args.id, "patch": {"speed_limit": rate}})
        print(f"{job.get('id')} speed limit: {shown}")
    return exits.OK


async def config(client: Client, args: argparse.Namespace) -> int:
    """``idm config get [KEY]`` / ``idm config set KEY VALUE``."""
    current: dict[str, Any] = await client.call("config.get")
    if args.action == "get":
        if args.key is None:
            print("\n".join(toml_line(key, value) for key, value in current.items()))
        elif args.key not in current:
            raise SystemExit(f"idm config: no key {args.key!r} (keys: {', '.join(current)})")
        else:
            shown = current[args.key]
            if isinstance(shown, dict):  # categories, actions: a TOML inline table
                print(toml_line(args.key, shown).split(" = ", 1)[1])
            else:
                print(", ".join(shown) if isinstance(shown, list) else shown)
        return exits.OK
    if args.key is None or args.value is None:
        raise SystemExit("idm config set needs KEY VALUE")
    value: Any = args.value
    if isinstance(current.get(args.key), list):  # allowed_origins: a comma-separated list
        value = [v.strip() for v in args.value.split(",") if v.strip()]
    elif isinstance(current.get(args.key), dict):  # categories, actions: a TOML inline table
        value = inline_table(args.key, args.value)
    new: dict[str, Any] = await client.call("config.set", {"patch": {args.key: value}})
    print(toml_line(args.key, new[args.key]))
    return exits.OK


def inline_table(key: str, text: str) -> dict[str, Any]:
    """``{Books = {extensions = ["epub"]}}`` (TOML) as a dict; SystemExit saying what is wrong."""
    try:
        value = tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError as exc:
        raise SystemExit(
            f"idm config: {key} takes a TOML inline table such as "
            f"'{{Books = {{extensions = [\"epub\"]}}}}': {exc}"
        ) from None
    if not isinstance(value, dict):
        raise SystemExit(f"idm config: {key} takes a TOML inline table, {{…}}")
    return value


async def stop(client: Client, args: argparse.Namespace) -> int:
    await client.call("daemon.shutdown")
    print("idmd is stopping (downloads in progress resume when it starts again)")
    return exits.OK


async def probe(client: Client, args: argparse.Namespace) -> int:
    result = await client.call("jobs.probe", {"url": args.url, "options": {}}, timeout=120)
    if args.json:
        _print_json(result)
        return exits.OK
    for key in ("kind", "filename", "title", "size", "resumable", "qualities"):
        if key in result and result[key] is not None:
            value = result[key]
            if key == "size":
                value = f"{value} ({human_size(value)})"
            elif isinstance(value, list):
                value = ", ".join(map(str, value)) or "-"
            print(f"{key + ':':<11}{value}")
    entries = result.get("entries") or []
    if entries:
        print(f"{'entries:':<11}{len(entries)}")
        for entry in entries[:20]:
            print(f"  {entry.get('title') or ''} {entry.get('url') or ''}".rstrip())
    return exits.OK


async def watch(client: Client, args: argparse.Namespace) -> int:
    unlisten = client.add_state_listener(ConnectionNotices())
    try:
        return await _watch(client, args)
    finally:
        unlisten()


async def _watch(client: Client, args: argparse.Namespace) -> int:
    async for item in client.subscribe(types=args.types or None):
        if args.json:
            _print_json(item, indent=None)
        elif item.get("type") == "snapshot":
            jobs = (item.get("snapshot") or {}).get("jobs", [])
            print(
                f"-- {len(jobs)} jobs, seq {item.get('seq')}"
                + (" (reset)" if item.get("reset") else ""),
                flush=True,
            )
        else:
            print(event_line(item), flush=True)
    return exits.CONNECTION_LOST


async def pair(client: Client, args: argparse.Namespace) -> int:
    if args.action in ("approve", "deny"):
        if not args.arg:
            raise SystemExit(f"idm: pair {args.action} needs the 6-digit CODE")
        await client.call(f"pairing.{args.action}", {"code": args.arg})
        print(f"pairing {args.arg} {'approved' if args.action == 'approve' else 'denied'}")
    elif args.action == "revoke":
        if not args.arg:
            raise SystemExit("idm: pair revoke needs a client ID (see idm pair list)")
        await client.call("pairing.revoke", {"id": args.arg})
        print(f"revoked {args.arg}")
    else:
        result = await client.call("pairing.list")
        if args.json:
            _print_json(result)
            return exits.OK
        rows = [
            [c["id"], c["name"], c.get("version", ""), "paired"] for c in result.get("clients", [])
        ]
        rows += [
            [
                p["code"],
                p["client"].get("name", ""),
                p["client"].get("version", ""),
                f"waiting ({p['expires_in']:.0f} s left)",
            ]
            for p in result.get("pending", [])
        ]
        print(
            table(rows, ("ID/CODE", "CLIENT", "VERSION", "STATE")) if rows else "no paired clients"
        )
    return exits.OK
