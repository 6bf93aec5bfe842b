"""The ``idm`` commands, each an async function of the parsed arguments and a
connected ``Client``; they print and return an exit status."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from idmd.cli import exits, inputfile
from idmd.cli.format import event_line, job_details, job_table, table
from idmd.cli.notices import ConnectionNotices
from idmd.cli.wait import FINAL, follow
from idmd.client import Client
from idmd.config import toml_line
from idmd.core.human import human_size, human_speed
from idmd.core.units import UnitError, parse_size
from idmd.core.userinfo import split_credentials
from idmd.protocol.errors import NoSuchJob, RpcError
from idmd.protocol.jobs import Status
from idmd.protocol.models import Job, JobPage
from idmd.protocol.options import OPTIONS, Kind
from idmd.protocol.params import DECISIONS
from idmd.protocol.schedule import start_time

# Times the protocol sends as Unix seconds (event ``at``, pairing ``created_at``); jobs
# already carry ISO 8601. ``--json`` output writes every one of them in one form.
TIME_KEYS = frozenset({"at", "created_at", "started_at", "finished_at", "expires_at"})


def iso_times(value: Any) -> Any:
    """``value`` with Unix-second times under TIME_KEYS as ISO 8601 UTC: ``…T…Z``."""
    if isinstance(value, dict):
        return {k: _iso(v) if k in TIME_KEYS else iso_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [iso_times(v) for v in value]
    return value


def _iso(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    moment = datetime.fromtimestamp(value, UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _print_json(value: Any, indent: int | None = 2) -> None:
    print(json.dumps(iso_times(value), indent=indent, ensure_ascii=False, default=str), flush=True)


def job_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options the flags set (one per declared option, see main.add_option_flags)."""
    options: dict[str, Any] = {}
    for option in OPTIONS:
        value = getattr(args, option.name, None)
        if value is None:
            continue
        options[option.name] = _headers(value) if option.kind is Kind.HEADERS else value
    when = start_time(options.pop("start_at")) if "start_at" in options else None
    if when is not None:  # HH:MM: the next such time on this machine's clock (the daemon's)
        options["start_at"] = when
    return options


def _absolute(options: dict[str, Any]) -> dict[str, Any]:
    """The daemon runs elsewhere: a folder is the user's, resolved against the user's directory."""
    if "dir" in options:
        return {**options, "dir": os.path.abspath(os.path.expanduser(options["dir"]))}
    return options


def add_items(args: argparse.Namespace) -> list[tuple[str, dict[str, Any]]]:
    """(URL, options) for the URLs on the command line, then those of ``-i FILE``
    (whose own option lines win over the flags)."""
    options = job_options(args)
    items = [(url, options) for url in args.urls]
    if args.input_file:
        try:
            text = sys.stdin.read() if args.input_file == "-" else Path(args.input_file).read_text()
            entries = inputfile.parse(text)
        except (OSError, UnicodeDecodeError) as exc:
            raise SystemExit(f"idm: cannot read {args.input_file}: {exc}") from None
        except inputfile.InputFileError as exc:
            raise SystemExit(f"idm: {args.input_file}: {exc}") from None
        items += [(entry.url, {**options, **entry.options}) for entry in entries]
    if not items:
        raise SystemExit("idm: add needs a URL or -i FILE")
    items = _with_cookie_file(items, options.get("cookies"))
    if options.get("user") and "password" not in options and sys.stdin.isatty():
        password = getpass.getpass(f"password for {options['user']}: ")
        items = [(url, {**opts, "password": password}) for url, opts in items]
    name = options.get("filename")
    if name is not None:
        if len(items) > 1:
            raise SystemExit("idm: -o/--filename names one file: give one URL with it")
        if "/" in name or name in (".", ".."):
            raise SystemExit(
                f"idm: -o/--filename takes a file name, not a path ({name!r}); "
                "give the folder with -d/--dir"
            )
    return [(url, _absolute(opts)) for url, opts in items]


def _with_cookie_file(
    items: list[tuple[str, dict[str, Any]]], value: Any
) -> list[tuple[str, dict[str, Any]]]:
    """``--cookies FILE``: each URL gets the cookies of the file that match it (the daemon
    never reads the file); a value that is no file is a Cookie header, sent as it is."""
    if not isinstance(value, str):
        return items
    path = Path(value).expanduser()
    if not path.is_file():
        if "=" not in value:
            raise SystemExit(f"idm: --cookies: no such file {value!r} (or give 'NAME=VALUE; ...')")
        return items
    from idmd.cli import cookiefile  # urllib's cookie jar: a fifth of a command's imports

    try:
        jar = cookiefile.parse(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        raise SystemExit(f"idm: --cookies: cannot read {value}: {exc}") from None
    except cookiefile.CookieFileError as exc:
        raise SystemExit(f"idm: --cookies {value}: {exc}") from None
    result = []
    for url, options in items:
        options = {k: v for k, v in options.items() if k != "cookies"}
        header = cookiefile.cookie_header(jar, url)
        result.append((url, {**options, "cookies": header} if header else options))
    return result


def _headers(lines: list[str]) -> dict[str, str]:
    headers = {}
    for raw in lines:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            raise SystemExit(f"idm: --header wants 'Name: value', not {raw!r}")
        headers[name.strip()] = value.strip()
    return headers


# Statuses in which a job of the same URL is "already there" for ``idm add``.
ACTIVE = ("queued", "downloading", "paused", "waiting")


async def _already_there(client: Client, items: list[tuple[str, dict[str, Any]]]) -> dict[str, Job]:
    """The unfinished jobs, by URL, of the URLs about to be added (compared as the daemon
    stores them: without user and password)."""
    wanted = {split_credentials(url, {})[0] for url, _ in items}
    page: JobPage = await client.call("jobs.list", {"status": list(ACTIVE), "limit": 1000})
    return {job["url"]: job for job in page.get("jobs", []) if job.get("url") in wanted}


def _job_line(job: Job) -> str:
    return f"{job['id']} {job.get('status')} {job.get('filename') or job.get('url')}"


async def add(client: Client, args: argparse.Namespace) -> int:
    items = add_items(args)
    # Progress only feeds the redrawn lines of a terminal: not asked for otherwise (fewer events
    # for the daemon to send and for us to read, e.g. with hundreds of small files).
    progress = ["job.progress"] if sys.stdout.isatty() else []
    stream = (
        client.subscribe(types=["job.status", *progress, "job.updated", "job.removed", "job.log"])
        if args.wait
        else None
    )
    if stream is not None:
        await anext(stream)  # subscribed before adding, so no event of the new jobs is missed
    jobs: dict[str, Job] = {}
    existing = {} if args.again else await _already_there(client, items)
    fresh = []
    for url, options in items:
        job = existing.get(split_credentials(url, {})[0])
        if job is None:
            fresh.append((url, options))
            continue
        print(
            f"idm: {job['url']} is already {job.get('status')} as {job['id']}; not added again "
            "(--again adds it anyway)",
            file=sys.stderr,
        )
        jobs[job["id"]] = job  # --wait follows it
        if args.json:
            _print_json(job)
        else:
            print(_job_line(job), flush=True)
    results: list[Any] = []
    if len(fresh) == 1:
        results = [await client.call("jobs.add", {"url": fresh[0][0], "options": fresh[0][1]})]
    elif fresh:
        results = await client.call(
            "jobs.add_many", {"items": [{"url": u, "options": o} for u, o in fresh]}
        )
    status = exits.OK
    for (url, _), result in zip(fresh, results, strict=False):
        if "error" in result and "id" not in result:
            print(f"idm: {url}: {result['error'].get('message')}", file=sys.stderr)
            status = exits.ERROR
            continue
        jobs[result["id"]] = result
        if args.json:
            _print_json(result)
        else:
            print(_job_line(result), flush=True)
    if stream is None or not jobs:
        return status
    try:
        outcome = await follow(
            stream,
            jobs,
            ask=lambda job: _ask_duplicate(client, job),
            listen=client.add_state_listener,
            lookup=lambda job_id: _job_or_none(client, job_id),
        )
    except asyncio.CancelledError:  # Ctrl-C: idm stops watching, the daemon goes on
        unfinished = [j for j, job in jobs.items() if job.get("status") not in FINAL]
        if unfinished:
            print(
                f"\nidm: stopped watching; the downloads go on in idmd: {' '.join(unfinished)} "
                "(idm ls, idm cancel ID)",
                file=sys.stderr,
                flush=True,
            )
        raise
    finally:
        await stream.aclose()
    return max(status, outcome)


async def _job_or_none(client: Client, job_id: str) -> Job | None:
    try:
        return cast(Job, await client.call("jobs.get", {"id": job_id}))
    except NoSuchJob:
        return None


async def _ask_duplicate(client: Client, job: Job) -> None:
    """A job waits because its file exists (on_duplicate "ask"): ask on a terminal, or
    say how to answer."""
    name = job.get("filename") or job.get("path") or job.get("url")
    if not sys.stdin.isatty():
        print(
            f"{job['id']} waits: {name} exists; answer with "
            f"`idm resolve {job['id']} rename|overwrite|skip`",
            file=sys.stderr,
            flush=True,
        )
        return
    answer = ""
    while answer not in DECISIONS:
        reply = await asyncio.to_thread(
            input, f"\n{name} exists: [r]ename, [o]verwrite or [s]kip? "
        )
        answer = next((r for r in DECISIONS if reply.strip().lower() in (r, r[0])), "")
    await client.call("jobs.resolve_duplicate", {"id": job["id"], "action": answer})


async def resolve(client: Client, args: argparse.Namespace) -> int:
    """Answer a job that waits for a duplicate decision."""
    job = await client.call("jobs.resolve_duplicate", {"id": args.id, "action": args.action})
    print(f"{job.get('id')} {job.get('status')} {job.get('filename') or ''}".rstrip())
    return exits.OK


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
