"""``idm refresh ID URL``: give a paused or failed download a new link, keeping its bytes.

The daemon probes the new link and refuses it, saying what differs, unless it
serves the same file (``jobs.update {patch: {url}}``; docs/protocol.md).
"""

from __future__ import annotations

import argparse

from idmd.cli import exits
from idmd.client import Client
from idmd.core.human import human_size
from idmd.protocol.models import Job


async def refresh(client: Client, args: argparse.Namespace) -> int:
    job: Job = await client.call("jobs.update", {"id": args.id, "patch": {"url": args.url}})
    kept = (
        f"{human_size(job.get('done') or 0)} kept" if job.get("done") else "nothing downloaded yet"
    )
    print(f"{job.get('id')} {job.get('status')} with the new URL ({kept})")
    return exits.OK
