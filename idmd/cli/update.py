"""``idm set ID --category C --after A --proxy URL …``: change the options of an existing
download, one flag per option that ``jobs.update`` may change.

The flags are the ``idm add`` flags of the options whose ``Update`` policy in
idmd/protocol/options.py is not ``never``, so a new updatable option appears here by
itself; the daemon enforces the policy (e.g. no new category while downloading).
"""

from __future__ import annotations

import argparse
from typing import Any

from idmd.cli import exits
from idmd.cli.add import job_options
from idmd.client import Client
from idmd.protocol.models import Job
from idmd.protocol.options import OPTIONS, SECRET, Update

UPDATABLE = tuple(o for o in OPTIONS if o.update is not Update.NEVER)


def register(sub: Any, add_flags: Any) -> None:
    """The ``set`` subcommand; ``add_flags(parser, options)`` adds the options' flags."""
    parser = sub.add_parser(
        "set",
        help="change a download's options (category, after, proxy, priority, …)",
        description="Change options of a download; some only while it is not downloading"
        " (pause it first): " + ", ".join(o.name for o in UPDATABLE if o.update is Update.STOPPED),
    )
    parser.add_argument("id", help="a job id")
    add_flags(parser, UPDATABLE)


async def set_options(client: Client, args: argparse.Namespace) -> int:
    patch = job_options(args)
    if not patch:
        flags = ", ".join(o.flag.names[-1] for o in UPDATABLE)
        raise SystemExit(f"idm set: nothing to change (give one of {flags})")
    job: Job = await client.call("jobs.update", {"id": args.id, "patch": patch})
    options: dict[str, Any] = dict(job.get("options") or {})
    shown = ", ".join(f"{k}={options.get(k)}" for k in patch if k not in SECRET)
    print(f"{job.get('id')} {job.get('status')}: {shown}")
    return exits.OK
