"""What ``jobs.update`` does to a job that is not downloading: the ``Update`` policy of each
option (idmd/protocol/options.py), and the plan a new category or proxy changes.

A job's category decides its folder once, when the file's name and type are first known
(idmd/engine/categorize.py, kept in ``job.state["category"]``). A new category before any
byte is on disk forgets that decision, so the next start places the file in the new
category's folder. Once a ``.part`` file (or media part) holds bytes, the file stays in the
folder it was started in: moving a partial file between folders (perhaps file systems)
while keeping its checkpoint is not worth the risk; the new category's name and after-action
apply, and the job's log says where the file goes.
"""

from __future__ import annotations

from pathlib import Path

from idmd.engine.jobs import Job
from idmd.protocol.errors import NotAllowed
from idmd.protocol.jobs import Status
from idmd.protocol.models import JobOptions
from idmd.protocol.options import BY_NAME, Update

# Statuses in which a STOPPED option may not change: the run reads it, or it is all done.
BUSY = (Status.DOWNLOADING, Status.COMPLETED)


def check_policy(job: Job, patch: JobOptions) -> None:
    """NotAllowed when ``patch`` changes a STOPPED option of a downloading or completed job."""
    if job.status not in BUSY:
        return
    for name in patch:
        option = BY_NAME.get(name)
        if option is not None and option.update is Update.STOPPED:
            raise NotAllowed(
                f"the {name} of a {job.status} job cannot be changed"
                + (" (pause it first)" if job.status == Status.DOWNLOADING else ""),
                data={"id": job.id, "param": f"patch.{name}"},
            )


def has_bytes(job: Job) -> bool:
    """Whether part of the file is on disk (a checkpoint, or a ``.part`` file)."""
    part = job.state.get("http", {}).get("part")
    return job.done > 0 or bool(part and Path(part).exists())


def recategorise(job: Job, name: str) -> str:
    """Give ``job`` the category ``name``; the log line that says where its file goes."""
    kept = job.state.get("category")
    job.category = name
    if not has_bytes(job):
        job.state.pop("category", None)  # decided again, with the new category, at the start
        job.state.get("http", {}).pop("target", None)
        return f"category {name}: the file goes to its folder when the download starts"
    folder = kept.get("folder") if isinstance(kept, dict) else None
    if isinstance(kept, dict):
        kept["name"] = name
    where = f" in {folder}" if folder else " where it was started"
    return f"category {name}: the partial file stays{where} and completes there"


def forget_proxy_password(job: Job, patch: JobOptions) -> None:
    """A new proxy without a password of its own drops the old proxy's password."""
    if "proxy" in patch and "proxy_password" not in patch:
        job.options.pop("proxy_password", None)
