"""``idm add`` (with ``--wait``) and ``idm resolve``: what the flags and ``-i FILE`` turn
into, the jobs already there, and the answer to a duplicate while following."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Any, cast

from idmd.cli import exits, inputfile
from idmd.cli.format import json_text
from idmd.cli.wait import FINAL, follow
from idmd.client import Client
from idmd.core.userinfo import split_credentials
from idmd.protocol.errors import NoSuchJob
from idmd.protocol.models import Job, JobPage
from idmd.protocol.options import OPTIONS, Kind
from idmd.protocol.params import DECISIONS
from idmd.protocol.schedule import start_time


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
            print(json_text(job), flush=True)
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
            print(json_text(result), flush=True)
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
