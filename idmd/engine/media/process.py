"""One run of the media worker as a child process, seen from the daemon.

Starts ``python -m idmd.engine.media_worker``, sends the request on stdin
(headers and cookies stay out of ``ps``), yields its JSON lines, kills it when
it stays silent for the stall timeout, and stops it SIGTERM-then-SIGKILL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

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
        why = f"signal {-self.returncode}" if self.returncode and self.returncode < 0 else f"exit {self.returncode}"
        tail = f": {self.last_log}" if self.last_log else ""
        return f"media worker stopped unexpectedly ({why}){tail}"


@dataclass
class WorkerProcess:
    request: Mapping[str, Any]
    stall_timeout: float = 30.0
    env: Mapping[str, str] | None = None
    startup_timeout: float = STARTUP_TIMEOUT
    outcome: WorkerOutcome = field(default_factory=WorkerOutcome)
    _proc: asyncio.subprocess.Process | None = None
    _stderr_task: asyncio.Task[None] | None = None
    _stderr_tail: bytes = b""

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "idmd.engine.media_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(self.env) if self.env is not None else None,
            limit=MAX_LINE,
            start_new_session=True,  # a Ctrl-C on the daemon's terminal is the daemon's to handle
        )
        assert self._proc.stdin is not None and self._proc.stderr is not None
        self._stderr_task = asyncio.create_task(self._read_stderr(self._proc.stderr))
        self._proc.stdin.write(json.dumps(dict(self.request)).encode() + b"\n")
        try:
            await self._proc.stdin.drain()
            self._proc.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died at once; messages() reports the crash

    async def _read_stderr(self, stream: asyncio.StreamReader) -> None:
        # Drained so the worker never blocks on a full pipe; the tail explains a crash.
        while chunk := await stream.read(65536):
            self._stderr_tail = (self._stderr_tail + chunk)[-4096:]

    def stderr_tail(self) -> str:
        lines = self._stderr_tail.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """Every line but the final result/error (kept in ``outcome``); raises WorkerStalled."""
        assert self._proc is not None and self._proc.stdout is not None
        started = False
        while True:
            timeout = self.stall_timeout if started else max(self.stall_timeout, self.startup_timeout)
            try:
                line = await asyncio.wait_for(self._proc.stdout.readline(), timeout)
            except TimeoutError:
                await self.stop(grace=0)
                raise WorkerStalled(f"the media worker sent nothing for {timeout:g} s") from None
            except ValueError:  # a line over MAX_LINE: the worker is not speaking our protocol
                await self.stop(grace=0)
                self.outcome.error = {"kind": "other", "message": "media worker sent an oversized line"}
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
            if kind == "result":
                self.outcome.result = message
            elif kind == "error":
                self.outcome.error = message
            else:
                if kind == "log":
                    self.outcome.last_log = str(message.get("message"))
                yield message
        self.outcome.returncode = await self._proc.wait()
        if self._stderr_task is not None:
            await self._stderr_task
        if self.outcome.crashed and not self.outcome.last_log:
            self.outcome.last_log = self.stderr_tail() or None

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM (the worker stops at the next progress hook), then SIGKILL."""
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
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
        await proc.wait()
        self.outcome.returncode = proc.returncode


async def run_worker(
    request: Mapping[str, Any], stall_timeout: float = 30.0, env: Mapping[str, str] | None = None
) -> WorkerOutcome:
    """A short worker run (probe, resolve): the outcome; the worker never outlives it."""
    worker = WorkerProcess(request, stall_timeout, env)
    await worker.start()
    try:
        async for _ in worker.messages():
            pass
    finally:
        await asyncio.shield(worker.stop(grace=0))
    return worker.outcome

