"""One run of the media worker as a child process, seen from the daemon.

Sends the request on stdin (headers and cookies stay out of ``ps``), yields
the worker's JSON lines until its result, kills it when it stays silent for
the stall timeout, and stops it SIGTERM-then-SIGKILL. The process comes from
a ``WorkerPool`` (warm, maybe used before) or is started here; a worker that
answered a probe goes back to the pool for the next request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

STOP_GRACE = 3.0  # seconds a worker gets to stop after SIGTERM before SIGKILL
# Importing yt-dlp and extracting say nothing for a while; bytes are not flowing
# yet, so the stall timeout starts counting only after the first info/progress.
STARTUP_TIMEOUT = 60.0
MAX_LINE = 8 * 1024 * 1024  # a probe of a long playlist is one big line


class WorkerStalled(Exception):
    """The worker said nothing for the stall timeout and was killed."""


@dataclass
class WorkerOutcome:
    """How a run ended: the result line, or the error line, or a crash."""

    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    returncode: int | None = None
    last_log: str | None = None

    @property
    def crashed(self) -> bool:
        return self.result is None and self.error is None

    def message(self) -> str:
        if self.error is not None:
            return str(self.error.get("message") or "media worker failed")
        why = (
            f"signal {-self.returncode}"
            if self.returncode and self.returncode < 0
            else f"exit {self.returncode}"
        )
        tail = f": {self.last_log}" if self.last_log else ""
        return f"media worker stopped unexpectedly ({why}){tail}"


class Spawned:
    """A started ``python -m idmd.engine.media_worker``, its stderr drained from the first byte.

    Drained so the worker never blocks on a full pipe, even while it waits
    idle in the pool; the tail explains a crash.
    """

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.requests = 0  # how many requests it was given (a reused worker has more than one)
        self._tail = b""
        assert proc.stderr is not None
        self._stderr_task = asyncio.create_task(self._read_stderr(proc.stderr))

    @classmethod
    async def start(cls, env: Mapping[str, str] | None = None) -> Spawned:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "idmd.engine.media_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(env) if env is not None else None,
            limit=MAX_LINE,
            start_new_session=True,  # a Ctrl-C on the daemon's terminal is the daemon's to handle
        )
        return cls(proc)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self._tail = (self._tail + chunk)[-4096:]

    def stderr_tail(self) -> str:
        lines = self._tail.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    async def wait(self) -> int:
        code = await self.proc.wait()
        await self._stderr_task
        return code

    async def kill(self) -> None:
        try:
            self.proc.kill()
        except ProcessLookupError:
            pass
        await self.wait()


class Pool(Protocol):
    """What a worker run needs from
    ``idmd.engine.media.pool.WorkerPool`` (which imports this module)."""

    async def take(self, comes_back: bool) -> Spawned: ...

    def give_back(self, worker: Spawned) -> bool: ...

    def lost(self, worker: Spawned) -> None: ...


@dataclass
class WorkerProcess:
    request: Mapping[str, Any]
    stall_timeout: float = 30.0
    env: Mapping[str, str] | None = None
    startup_timeout: float = STARTUP_TIMEOUT
    pool: Pool | None = None
    outcome: WorkerOutcome = field(default_factory=WorkerOutcome)
    _worker: Spawned | None = None
    _released: bool = False  # handed back to the pool: no longer ours to stop

    @property
    def pid(self) -> int | None:
        return self._worker.pid if self._worker else None

    @property
    def reusable(self) -> bool:
        """A probe leaves the worker clean and warm; a download does not (threads, files)."""
        return self.request.get("mode") == "probe"

    @property
    def reused(self) -> bool:
        """Whether the worker had served a request before this one (it was warm)."""
        return self._worker is not None and self._worker.requests > 1

    async def start(self) -> None:
        if self.pool is not None and self.env is None:
            self._worker = await self.pool.take(comes_back=self.reusable)
        else:
            self._worker = await Spawned.start(self.env)
        self._worker.requests += 1
        stdin = self._worker.proc.stdin
        assert stdin is not None
        stdin.write(json.dumps(dict(self.request)).encode() + b"\n")
        try:
            await stdin.drain()
            if not self.reusable:
                stdin.close()  # nothing else will come: a worker that reads on sees the end
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died at once; messages() reports the crash

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Every line but the final result/error (kept in ``outcome``); raises WorkerStalled."""
        assert self._worker is not None and self._worker.proc.stdout is not None
        stdout = self._worker.proc.stdout
        started = False
        while True:
            timeout = (
                self.stall_timeout if started else max(self.stall_timeout, self.startup_timeout)
            )
            try:
                line = await asyncio.wait_for(stdout.readline(), timeout)
            except TimeoutError:
                await self.stop(grace=0)
                raise WorkerStalled(f"the media worker sent nothing for {timeout:g} s") from None
            except ValueError:  # a line over MAX_LINE: the worker is not speaking our protocol
                await self.stop(grace=0)
                self.outcome.error = {
                    "kind": "other",
                    "message": "media worker sent an oversized line",
                }
                return
            if not line:
                break
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            kind = message.get("type")
            started = started or kind in ("info", "progress")
            if kind in ("result", "error"):
                setattr(self.outcome, kind, message)
                if self.reusable and self.pool is not None and self.pool.give_back(self._worker):
                    self._released = True
                    return
                if self.reusable:
                    break  # nobody takes it back: close() below lets it exit
            else:
                if kind == "log":
                    self.outcome.last_log = str(message.get("message"))
                yield message
        stdin = self._worker.proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        self.outcome.returncode = await self._worker.wait()
        if self.outcome.crashed and not self.outcome.last_log:
            self.outcome.last_log = self._worker.stderr_tail() or None

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM (the worker stops at the next progress hook), then SIGKILL."""
        worker = self._worker
        if worker is None or self._released:
            return
        if self.pool is not None:
            self.pool.lost(worker)
        if not worker.alive:
            return
        proc = worker.proc
        try:
            if grace > 0:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), grace)
                    return
                except TimeoutError:
                    pass
            proc.kill()
        except ProcessLookupError:
            pass
        self.outcome.returncode = await worker.wait()


async def run_worker(
    request: Mapping[str, Any],
    stall_timeout: float = 30.0,
    env: Mapping[str, str] | None = None,
    pool: Pool | None = None,
) -> WorkerOutcome:
    """A short worker run (probe, resolve): the outcome;
    a worker not handed back never outlives it."""
    worker = WorkerProcess(request, stall_timeout, env, pool=pool)
    await worker.start()
    try:
        async for _ in worker.messages():
            pass
    finally:
        await asyncio.shield(worker.stop(grace=0))
    return worker.outcome
