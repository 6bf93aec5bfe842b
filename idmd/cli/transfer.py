"""``idm export`` and ``idm import``: the job list to a file and back (another machine, a backup).

Export pages through ``jobs.list`` (any number of jobs, oldest first); import
reads the whole file and checks every entry with the daemon's own rules
(idmd.protocol.transfer) before sending anything, then sends it in as few calls
as the 1 MiB frame allows (``batches``), each stored in one transaction: a
history of a few thousand jobs is one call. Ids are kept, so running an import
again adds only what is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from idmd.cli import exits
from idmd.client import Client
from idmd.protocol.errors import RpcError
from idmd.protocol.models import Job, JobPage
from idmd.protocol.transfer import MAX_ENTRIES, MAX_FILE, check_entry, document, read_file

BATCH_BYTES = (
    768 * 1024
)  # JSON bytes of entries per jobs.import call: under the 1 MiB a frame may hold


async def all_jobs(client: Client) -> list[Job]:
    params: dict[str, Any] = {"limit": 1000, "order": "created_at"}
    jobs: list[Job] = []
    while True:
        page: JobPage = await client.call("jobs.list", params)
        jobs += page.get("jobs", [])
        if not page.get("cursor") or not page.get("jobs"):
            return jobs
        params["cursor"] = page["cursor"]


async def export(client: Client, args: argparse.Namespace) -> int:
    jobs = await all_jobs(client)
    if args.format == "urls":
        text = "".join(job["url"] + "\n" for job in jobs)
    else:
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        text = json.dumps(document(jobs, now), indent=1, ensure_ascii=False) + "\n"
    if args.file in (None, "-"):
        sys.stdout.write(text)
    else:
        try:
            Path(args.file).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise SystemExit(f"idm export: cannot write {args.file}: {exc}") from None
        print(f"exported {len(jobs)} jobs to {args.file}", file=sys.stderr)
    return exits.OK


def read_entries(name: str) -> list[dict[str, Any]]:
    """The checked entries of FILE (``-``: standard input); SystemExit with the reason."""
    try:
        if name == "-":
            text = sys.stdin.read(MAX_FILE + 1)
        else:
            with open(name, encoding="utf-8") as handle:
                text = handle.read(MAX_FILE + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"idm import: cannot read {name}: {exc}") from None
    if len(text) > MAX_FILE:
        raise SystemExit(
            f"idm import: {name} is over {MAX_FILE // (1024 * 1024)} MiB: not an idm export"
        )
    try:
        entries = read_file(text)
        if not entries:
            raise SystemExit(f"idm import: {name} lists no jobs")
        for index, item in enumerate(entries):  # the daemon's checks, before sending anything
            check_entry(item, f"jobs[{index}]")
    except RpcError as exc:  # InvalidParams, UrlNotSupported (another scheme)
        param = exc.data.get("param") if isinstance(exc.data, dict) else None
        where = f"{param}: " if param and not exc.detail.startswith(str(param)) else ""
        raise SystemExit(f"idm import: {name}: {where}{exc.detail}") from None
    return entries


def batches(entries: list[dict[str, Any]], limit: int = BATCH_BYTES) -> list[list[dict[str, Any]]]:
    """``entries`` in order, cut into calls of at most ``limit`` JSON bytes and MAX_ENTRIES jobs."""
    cut: list[list[dict[str, Any]]] = [[]]
    size = 0
    for item in entries:
        length = len(json.dumps(item, ensure_ascii=False).encode()) + 1
        if cut[-1] and (size + length > limit or len(cut[-1]) >= MAX_ENTRIES):
            cut.append([])
            size = 0
        cut[-1].append(item)
        size += length
    return cut


async def import_(client: Client, args: argparse.Namespace) -> int:
    entries = read_entries(args.file)
    totals: dict[str, int] = {}
    for batch in batches(entries):
        counts: dict[str, int] = await client.call("jobs.import", {"jobs": batch})
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    print(
        f"imported {totals.get('imported', 0)} jobs: {totals.get('queued', 0)} queued, "
        f"{totals.get('paused', 0)} paused, {totals.get('history', 0)} into the history; "
        f"{totals.get('skipped', 0)} already here"
    )
    return exits.OK
