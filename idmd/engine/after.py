"""What happens after a download: the job's (or its category's) action, moving the
file and/or running a command on it and/or a desktop notification (also when the job
fails); the webhook; the command for an empty queue.

It listens to the bus for ``job.status`` and does its work in tasks of its own,
so a slow command or an unreachable webhook never holds up the engine. Every
outcome is a line in the job's log (``job.log``) and the daemon's log; a
failed action never changes the job's status.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from idmd.config import Config
from idmd.core import actions
from idmd.core.categories import folder_problem
from idmd.core.filenames import unique_name
from idmd.engine import categorize, notify
from idmd.engine.jobs import Job
from idmd.events import EventBus
from idmd.protocol.events import Event, EventType
from idmd.protocol.jobs import Status

log = logging.getLogger(__name__)
STDERR_TAIL = 400  # characters of a command's stderr kept for the job log
MAX_COMMANDS = 4  # commands running at once; more wait their turn
_KILL_WAIT = 5.0


@dataclass(frozen=True)
class AfterServices:
    """What the runner may reach, handed in by the engine (which owns them)."""

    config: Callable[[], Config]
    session: Callable[[str], aiohttp.ClientSession]  # for a URL: through the config's proxy
    bus: EventBus
    store: Any  # idmd.store.Store: save_job
    find: Callable[[str], Job | None]  # a job in memory
    idle: Callable[[], bool]  # nothing queued or running
    download_dir: Callable[[], Path]


class AfterDownload:
    def __init__(self, services: AfterServices) -> None:
        self._s = services
        self._tasks: set[asyncio.Task[None]] = set()
        self._commands = asyncio.Semaphore(MAX_COMMANDS)
        self._remove = services.bus.listen(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.type != EventType.JOB_STATUS or event.job is None:
            return
        status = event.data.get("status")
        job = self._s.find(event.job)
        if job is not None and status in (Status.COMPLETED, Status.FAILED):
            self._after(job, Status(status))
        if status in (Status.COMPLETED, Status.FAILED, Status.CANCELLED) and self._s.idle():
            command = self._s.config().on_queue_empty
            if command:
                self._spawn(self._queue_empty(tuple(command)), "after-queue-empty")

    def _spawn(self, work: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop listening; commands still running are killed, webhooks given up."""
        self._remove()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait(self) -> None:
        """Until every action started so far has ended (tests, a graceful stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- one job -------------------------------------------------------------------------------
    def _log(self, job: Job, message: str, level: str = "info") -> None:
        log.log(
            logging.WARNING if level in ("warning", "error") else logging.INFO,
            "job %s: %s",
            job.id,
            message,
        )
        self._s.bus.emit(EventType.JOB_LOG, job.id, {"level": level, "message": message})

    def _after(self, job: Job, status: Status) -> None:
        """What follows a job's end, in a task of its own, when there is any (most jobs have
        none: hundreds of small files must not each cost a task)."""
        config = self._s.config()
        try:
            action = categorize.after_action(config, job.options, job.category or None)
        except Exception as exc:  # noqa: BLE001 - a bug must not reach the engine (logged)
            self._failed(job, exc)
            action = None
        if action is not None or config.webhook_url:
            self._spawn(self._after_job(job, status, action, config), f"after-{job.id}")

    async def _after_job(
        self, job: Job, status: Status, action: actions.Action | None, config: Config
    ) -> None:
        try:
            if status == Status.COMPLETED and action is not None:
                await self._action(job, action)
            if action is not None and action.notify:
                await self._notify(job, status)
        except Exception as exc:  # noqa: BLE001 - as in _after
            self._failed(job, exc)
        if config.webhook_url:
            await self._webhook(job, config)

    def _failed(self, job: Job, exc: Exception) -> None:
        log.exception("job %s: after-action failed", job.id)
        self._log(job, f"after: internal error: {type(exc).__name__}: {exc}", "error")

    async def _action(self, job: Job, action: actions.Action) -> None:
        if not action.move and not action.run:
            return  # a notification alone
        if job.state.get("skipped") or not job.path:
            self._log(job, f"after: {action.name} not run: the job did not write a file")
            return
        path = Path(job.path)
        if action.move:
            moved = await self._move(job, path, action)
            if moved is None:
                return  # the command would not find the file where it expects it
            path = moved
        if action.run:
            async with self._commands:
                await self._run(job, actions.argv(action.run, path, job.id), action.timeout)

    async def _move(self, job: Job, path: Path, action: actions.Action) -> Path | None:
        root = self._s.download_dir()
        roots = [root, *(Path(d) for d in self._s.config().allowed_dirs)]
        folder = Path(os.path.normpath(root / action.move))
        problem = folder_problem(
            str(folder), roots
        )  # a symlink that appeared since the config was read
        if problem:
            self._log(job, f"after: not moved: {problem}", "error")
            return None
        try:
            target = await asyncio.to_thread(_move_file, path, folder)
        except OSError as exc:
            self._log(
                job, f"after: cannot move {path.name} to {folder}: {exc.strerror or exc}", "error"
            )
            return None
        job.path, job.filename = str(target), target.name
        self._s.store.save_job(job.to_store())
        self._s.bus.emit(
            EventType.JOB_UPDATED, job.id, {"path": job.path, "filename": job.filename}
        )
        self._log(job, f"after: moved to {target}")
        return target

    async def _run(self, job: Job, argv: list[str], timeout: float) -> None:
        shown = " ".join(argv)
        code, tail, error = await run_command(argv, timeout)
        if error:
            self._log(job, f"after: cannot run {shown}: {error}", "error")
            return
        level = "info" if code == 0 else "warning"
        message = (
            f"after: {shown}: exit status {code}" if code is not None else f"after: {shown}: {tail}"
        )
        if code is not None and tail:
            message += f"; stderr: {tail}"
        self._log(job, message, level)

    async def _notify(self, job: Job, status: Status) -> None:
        name = job.filename or job.url
        if status == Status.COMPLETED:
            title, body = "Download complete", str(job.path or name)
        else:
            reason = job.error["message"] if job.error else "failed"
            title, body = "Download failed", f"{name}: {reason}"
        argv = notify.command(title, body)
        if argv is None:
            self._log(job, f"after: no desktop notification: {notify.missing_program()}", "warning")
            return
        code, tail, error = await run_command(argv, notify.TIMEOUT)
        if error or code != 0:
            why = error or (f"exit status {code}" if code is not None else tail)
            detail = f"; {tail}" if tail and code is not None else ""
            self._log(job, f"after: desktop notification not shown: {why}{detail}", "warning")
            return
        self._log(job, f"after: desktop notification: {title}")

    async def _webhook(self, job: Job, config: Config) -> None:
        url = config.webhook_url
        body = dict(job.to_dict(segments=False))
        body.pop("segments", None)
        headers = {"X-Idm-Event": f"job.{job.status}"}
        try:
            timeout = aiohttp.ClientTimeout(total=config.webhook_timeout)
            async with self._s.session(url).post(
                url, json=body, headers=headers, timeout=timeout
            ) as response:
                await response.read()
                ok = response.status < 300
                self._log(
                    job, f"webhook {url}: HTTP {response.status}", "info" if ok else "warning"
                )
        except TimeoutError:
            self._log(job, f"webhook {url}: no answer in {config.webhook_timeout:g} s", "warning")
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            self._log(job, f"webhook {url}: {type(exc).__name__}: {exc}", "warning")

    # -- the queue -----------------------------------------------------------------------------
    async def _queue_empty(self, command: Sequence[str]) -> None:
        shown = " ".join(command)
        code, tail, error = await run_command(list(command), actions.DEFAULT_TIMEOUT)
        if error:
            log.warning("on_queue_empty: cannot run %s: %s", shown, error)
        else:
            log.info(
                "on_queue_empty: %s: exit status %s%s",
                shown,
                code,
                f"; stderr: {tail}" if tail else "",
            )


def _move_file(path: Path, folder: Path) -> Path:
    """``path`` moved into ``folder`` under a name not yet taken there (renamed, or copied
    and removed across file systems)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = unique_name(path.name, lambda n: os.path.lexists(folder / n))
    target = folder / name
    if target == path:
        return path
    shutil.move(str(path), str(target))
    return target


async def run_command(argv: list[str], timeout: float) -> tuple[int | None, str, str]:
    """Run ``argv`` without a shell: ``(exit status, stderr's tail, "")``, ``(None, why, "")``
    when it was killed for taking too long, or ``(None, "", why)`` when it could not start."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        return None, "", "no such program"
    except PermissionError:
        return None, "", "not allowed to run it (permissions)"
    except OSError as exc:
        return None, "", exc.strerror or str(exc)
    assert process.stderr is not None
    tail = bytearray()
    try:
        async with asyncio.timeout(timeout):
            while chunk := await process.stderr.read(65536):
                tail = (tail + chunk)[-4 * STDERR_TAIL :]  # only the end is kept
            code = await process.wait()
    except TimeoutError:
        await _kill(process)
        return None, f"killed after {timeout:g} s", ""
    except asyncio.CancelledError:
        await _kill(process)
        raise
    text = tail.decode("utf-8", "replace").strip()
    return code, " | ".join(text.splitlines())[-STDERR_TAIL:], ""


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the children go too
        except ProcessLookupError:
            pass
        try:
            await asyncio.wait_for(process.wait(), _KILL_WAIT)
        except TimeoutError:
            log.warning("pid %s did not exit after SIGKILL", process.pid)
