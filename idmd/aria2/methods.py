"""The aria2 methods, transport-free: each takes one authorised call and returns
aria2's result. Reads come from the Engine's public API; changes go through
idm's own namespaces (``jobs.*``, ``config.set``, ``daemon.shutdown``) so their
checks apply as on ``/rpc``. The table at the end is the list of methods."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from idmd import __version__
from idmd.aria2 import options as opts
from idmd.aria2.args import Args
from idmd.aria2.errors import Aria2Error
from idmd.aria2.face import Face
from idmd.aria2.queue import priority_for, queue_key, renumber, target_index, window
from idmd.aria2.status import STOPPED, WAITING, aria2_status, files, uris
from idmd.aria2.wire import Raw, dumps
from idmd.protocol.errors import NoSuchJob
from idmd.protocol.models import Job
from idmd.rpc.peer import Peer

log = logging.getLogger(__name__)

ARIA2_VERSION = "1.37.0"  # the aria2 release whose RPC this face speaks
PAGE = 1000  # jobs per history page
UPDATABLE = ("connections", "speed_limit", "filename")  # what changeOption can change on a job


@dataclass
class Call:
    face: Face
    peer: Peer
    args: Args

    @property
    def gid(self) -> str:
        return self.args.gid(0)


def _ignored(names: list[str], where: str) -> None:
    if names:
        log.info("aria2 %s: ignored options idm has no feature for: %s", where, ", ".join(names))


def _render(
    c: Call, jobs: Sequence[Mapping[str, Any]], keys: list[str] | None
) -> list[dict[str, Any]]:
    gid, folder = c.face.gids.gid, c.face.default_dir
    return [aria2_status(job, gid(job["id"]), folder, keys) for job in jobs]


def _waiting(c: Call) -> list[Job]:
    return sorted((j for j in c.face.engine.snapshot() if j["status"] in WAITING), key=queue_key)


async def _stopped(c: Call, offset: int, num: int) -> list[Job]:
    """Finished jobs in aria2's order (oldest first;
    a negative offset counts back from the newest)."""
    if num <= 0:
        return []
    order, skip = ("finished_at", offset) if offset >= 0 else ("-finished_at", -offset - 1)
    found: list[Job] = []
    cursor = None
    while len(found) < skip + num:
        page = await c.face.engine.list(
            list(STOPPED), None, min(PAGE, skip + num - len(found)), cursor, order
        )
        found += page["jobs"]
        cursor = page.get("cursor")
        if not cursor:
            break
    return found[skip : skip + num]


# -- adding -------------------------------------------------------------------------------
async def add_uri(c: Call) -> str:
    c.args.at_most(3)
    links = c.args.strings(0, "uris") or []
    options = c.args.struct(1, "options")
    position = c.args.integer(2, "position", -1) if len(c.args.params) > 2 else None
    if not links:
        raise Aria2Error("No URI to download.")
    if len(links) > 1:
        log.info("aria2.addUri: idm downloads from one URI; ignored the other %d", len(links) - 1)
    idm_options, ignored = opts.to_idm(options, links[0])
    _ignored(ignored, "addUri")
    job = await c.face.jobs(c.peer).add(links[0], idm_options)
    gid = c.face.gids.gid(job["id"])
    if position is not None and position >= 0:
        await _move(c, job["id"], position, "POS_SET")
    return gid


async def not_supported(c: Call) -> Any:
    kind = "BitTorrent" if c.args.method == "aria2.addTorrent" else "Metalink"
    raise Aria2Error(
        f"{c.args.method} is not supported: idm downloads HTTP(S) and media, not {kind}"
    )


# -- reading ------------------------------------------------------------------------------
async def tell_status(c: Call) -> dict[str, Any]:
    c.args.at_most(2)
    gid = c.gid
    keys = c.args.strings(1, "keys", required=False)
    return aria2_status(await c.face.job(gid), gid, c.face.default_dir, keys)


async def get_uris(c: Call) -> list[dict[str, str]]:
    c.args.at_most(1)
    return uris(await c.face.job(c.gid))


async def get_files(c: Call) -> list[dict[str, Any]]:
    c.args.at_most(1)
    return files(await c.face.job(c.gid), c.face.default_dir)


async def get_servers(c: Call) -> list[dict[str, Any]]:
    c.args.at_most(1)
    gid = c.gid
    job = await c.face.job(gid)
    if job["status"] != "downloading":
        raise Aria2Error(f"No active download for GID#{gid}")
    url = str(job["url"])
    return [
        {
            "index": "1",
            "servers": [{"uri": url, "currentUri": url, "downloadSpeed": str(job["speed"])}],
        }
    ]


async def tell_active(c: Call) -> list[dict[str, Any]]:
    c.args.at_most(1)
    keys = c.args.strings(0, "keys", required=False)
    engine = c.face.engine
    jobs: list[Job] = []
    for job_id in list(c.face.tracker.active):
        try:
            jobs.append(engine.get(job_id))
        except NoSuchJob:
            continue  # removed since: the tracker hears of it next
    return _render(c, [j for j in jobs if j["status"] == "downloading"], keys)


async def _listed(c: Call, key: tuple[Any, ...], jobs: Any, keys: list[str] | None) -> Raw:
    """A long list, encoded once per generation (see tracker.py)."""
    tracker = c.face.tracker
    cache_key = (*key, tuple(keys) if keys is not None else None)
    found = tracker.cached(cache_key)
    if found is not None:
        return found
    generation = tracker.generation
    rendered = Raw(dumps(_render(c, await jobs(), keys)))
    return tracker.keep(cache_key, rendered, generation)


async def tell_waiting(c: Call) -> Raw:
    c.args.at_most(3)
    offset, num = c.args.integer(0, "offset"), c.args.integer(1, "num")
    keys = c.args.strings(2, "keys", required=False)

    async def jobs() -> list[Job]:
        return window(_waiting(c), offset, num)

    return await _listed(c, ("waiting", offset, num), jobs, keys)


async def tell_stopped(c: Call) -> Raw:
    c.args.at_most(3)
    offset, num = c.args.integer(0, "offset"), c.args.integer(1, "num")
    keys = c.args.strings(2, "keys", required=False)

    async def jobs() -> list[Job]:
        return await _stopped(c, offset, num)

    return await _listed(c, ("stopped", offset, num), jobs, keys)


async def _stopped_total(c: Call) -> int:
    tracker = c.face.tracker
    found = tracker.cached(("stopped-total",))
    if found is None:
        generation = tracker.generation
        page = await c.face.engine.list(list(STOPPED), None, 1, None, "-finished_at")
        found = tracker.keep(("stopped-total",), int(page["total"]), generation)
    return int(found)


async def global_stat(c: Call) -> dict[str, str]:
    c.args.at_most(0)
    engine, tracker = c.face.engine, c.face.tracker
    waiting = tracker.cached(("waiting-count",))
    if waiting is None:
        generation = tracker.generation
        count = sum(1 for j in engine.snapshot() if j["status"] in WAITING)
        waiting = tracker.keep(("waiting-count",), count, generation)
    stopped = await _stopped_total(c)
    return {
        "downloadSpeed": str(engine.stats()["speed"]),
        "uploadSpeed": "0",
        "numActive": str(len(tracker.active)),
        "numWaiting": str(waiting),
        "numStopped": str(min(stopped, 1000)),
        "numStoppedTotal": str(stopped),
    }


# -- pausing, resuming, removing -----------------------------------------------------------
async def pause(c: Call) -> str:
    c.args.at_most(1)
    await c.face.jobs(c.peer).pause([c.face.job_id(c.gid)])
    return c.gid


async def pause_all(c: Call) -> str:
    c.args.at_most(0)
    ids = [j["id"] for j in c.face.engine.snapshot() if j["status"] in ("downloading", "queued")]
    if ids:
        await c.face.jobs(c.peer).pause(ids)
    return "OK"


async def unpause(c: Call) -> str:
    c.args.at_most(1)
    await c.face.jobs(c.peer).resume([c.face.job_id(c.gid)])
    return c.gid


async def unpause_all(c: Call) -> str:
    c.args.at_most(0)
    ids = [j["id"] for j in c.face.engine.snapshot() if j["status"] == "paused"]
    if ids:
        await c.face.jobs(c.peer).resume(ids)
    return "OK"


async def remove(c: Call) -> str:
    """aria2's remove: the download stops and stays listed as ``removed`` (idm's cancel)."""
    c.args.at_most(1)
    gid = c.gid
    job = await c.face.job(gid)
    if job["status"] in STOPPED:
        raise Aria2Error(f"Active Download not found for GID#{gid}")
    await c.face.jobs(c.peer).cancel([job["id"]])
    return gid


async def remove_result(c: Call) -> str:
    c.args.at_most(1)
    gid = c.gid
    job = await c.face.job(gid)
    if job["status"] not in STOPPED:
        raise Aria2Error(f"Could not remove download result of GID#{gid}")
    await c.face.jobs(c.peer).remove([job["id"]])
    return "OK"


async def purge(c: Call) -> str:
    c.args.at_most(0)
    while True:
        page = await c.face.engine.list(list(STOPPED), None, PAGE, None, "-finished_at")
        ids = [j["id"] for j in page["jobs"]]
        if not ids:
            return "OK"
        await c.face.jobs(c.peer).remove(ids)


# -- options --------------------------------------------------------------------------------
async def get_option(c: Call) -> dict[str, str]:
    c.args.at_most(1)
    job = await c.face.job(c.gid)
    return opts.from_idm(
        job.get("options") or {}, c.face.state.ctx.config.to_dict(), c.face.default_dir
    )


async def change_option(c: Call) -> str:
    c.args.at_most(2)
    gid = c.gid
    options = c.args.struct(1, "options", required=True)
    job = await c.face.job(gid)
    converted, ignored = opts.to_idm(options, str(job["url"]))
    patch = {k: v for k, v in converted.items() if k in UPDATABLE}
    _ignored(ignored + sorted(k for k in converted if k not in UPDATABLE), "changeOption")
    if patch:
        await c.face.jobs(c.peer).update(job["id"], patch)
    return "OK"


async def get_global_option(c: Call) -> dict[str, str]:
    c.args.at_most(0)
    return opts.global_options(c.face.state.ctx.config.to_dict(), c.face.default_dir)


async def change_global_option(c: Call) -> str:
    c.args.at_most(1)
    patch, ignored = opts.to_config_patch(c.args.struct(0, "options", required=True))
    _ignored(ignored, "changeGlobalOption")
    if patch:
        c.face.config(c.peer).set(patch)
    return "OK"


# -- the queue ------------------------------------------------------------------------------
async def _move(c: Call, job_id: str, pos: int, how: str) -> int:
    queue = _waiting(c)
    index = next((i for i, j in enumerate(queue) if j["id"] == job_id), None)
    if index is None:
        raise Aria2Error(f"GID#{c.face.gids.gid(job_id)} not found in the waiting queue.")
    job = queue.pop(index)
    target = target_index(index, len(queue) + 1, pos, how)
    wanted = priority_for(job, queue, target)
    if wanted != int((job.get("options") or {}).get("priority") or 0):
        await c.face.jobs(c.peer).update(job_id, {"priority": wanted})
    landed = next(i for i, j in enumerate(_waiting(c)) if j["id"] == job_id)
    if landed != target:  # ties left no room: number the whole queue in the order asked for
        for other, value in renumber([*queue[:target], job, *queue[target:]]).items():
            await c.face.jobs(c.peer).update(other, {"priority": value})
        landed = next(i for i, j in enumerate(_waiting(c)) if j["id"] == job_id)
    return landed


async def change_position(c: Call) -> int:
    c.args.at_most(3)
    gid = c.gid
    pos = c.args.integer(1, "pos")
    how = c.args.choice(2, "how", ("POS_SET", "POS_CUR", "POS_END"))
    return await _move(c, c.face.job_id(gid), pos, how)


# -- the daemon -----------------------------------------------------------------------------
async def get_version(c: Call) -> dict[str, Any]:
    c.args.at_most(0)
    return {
        "version": ARIA2_VERSION,
        "enabledFeatures": ["Async DNS", "GZip", "HTTPS", "Message Digest"],
        "idm": __version__,
    }


async def session_info(c: Call) -> dict[str, str]:
    c.args.at_most(0)
    seed = f"{os.getpid()}:{c.face.state.ctx.started_at}".encode()
    return {"sessionId": hashlib.sha1(seed).hexdigest()}


async def save_session(c: Call) -> str:
    c.args.at_most(0)
    return "OK"  # idm's history is written as jobs change


async def shutdown(c: Call) -> str:
    c.args.at_most(0)
    if c.peer.client_id is not None:
        raise Aria2Error("a paired client cannot stop idmd; use the owner's token")
    c.face.daemon(c.peer).shutdown()
    return "OK"


Method = Callable[[Call], Awaitable[Any]]
METHODS: dict[str, Method] = {
    "aria2.addUri": add_uri,
    "aria2.addTorrent": not_supported,
    "aria2.addMetalink": not_supported,
    "aria2.remove": remove,
    "aria2.forceRemove": remove,
    "aria2.pause": pause,
    "aria2.forcePause": pause,
    "aria2.pauseAll": pause_all,
    "aria2.forcePauseAll": pause_all,
    "aria2.unpause": unpause,
    "aria2.unpauseAll": unpause_all,
    "aria2.tellStatus": tell_status,
    "aria2.getUris": get_uris,
    "aria2.getFiles": get_files,
    "aria2.getServers": get_servers,
    "aria2.tellActive": tell_active,
    "aria2.tellWaiting": tell_waiting,
    "aria2.tellStopped": tell_stopped,
    "aria2.changePosition": change_position,
    "aria2.changeOption": change_option,
    "aria2.getOption": get_option,
    "aria2.getGlobalOption": get_global_option,
    "aria2.changeGlobalOption": change_global_option,
    "aria2.getGlobalStat": global_stat,
    "aria2.purgeDownloadResult": purge,
    "aria2.removeDownloadResult": remove_result,
    "aria2.getVersion": get_version,
    "aria2.getSessionInfo": session_info,
    "aria2.shutdown": shutdown,
    "aria2.forceShutdown": shutdown,
    "aria2.saveSession": save_session,
}
NOTIFICATIONS = (
    "aria2.onDownloadStart",
    "aria2.onDownloadPause",
    "aria2.onDownloadStop",
    "aria2.onDownloadComplete",
    "aria2.onDownloadError",
)
SYSTEM = ("system.multicall", "system.listMethods", "system.listNotifications")
