"""``IdmApp``: holds the connection and the job model, and hands coalesced
changes to the screens. Screens and dialogs live in their own modules."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.screen import Screen

from idm_tui.link import ClientFactory, ClientLike, DaemonMissing, DaemonStarter
from idm_tui.model import Change, JobModel
from idm_tui.screens.duplicate import DuplicateScreen
from idm_tui.screens.main import MainScreen
from idm_tui.screens.pairing import PairingScreen
from idmd.protocol.errors import RpcError

if TYPE_CHECKING:
    from idmd.client import ConnectionStatus

# Progress repaints are gathered for this long: 50 active jobs at 10 events/s
# each become four repaints a second, not five hundred.
REPAINT_INTERVAL = 0.25
STRUCTURE_INTERVAL = 0.05


class IdmApp(App[None]):
    """The idm terminal UI. ``client_factory`` connects (tests pass a fake)."""

    CSS_PATH = "idm.tcss"
    TITLE = "idm"

    def __init__(
        self,
        client_factory: ClientFactory,
        use_clipboard: bool = True,
        daemon_starter: DaemonStarter | None = None,
    ) -> None:
        super().__init__()
        self.client_factory = client_factory
        # Starts idmd again after it died (the ``s`` key); None when the TUI was pointed
        # at a daemon by --url, which it cannot start.
        self.daemon_starter = daemon_starter
        self.use_clipboard = use_clipboard  # the add dialog offers a URL found there
        self.client: ClientLike | None = None
        self._forget_state: Callable[[], None] = lambda: None  # stop hearing the client's state
        self.model = JobModel()
        self._pending = Change()
        self._flush_scheduled = False
        self._structure_soon = False
        self.main_screen = MainScreen()

    def on_mount(self) -> None:
        self.push_screen(self.main_screen)
        self.main_screen.status.can_start = self.daemon_starter is not None
        self.call_after_refresh(self.run_link)  # the first frame before any network work

    # -- the connection ----------------------------------------------------------

    @work(exclusive=True, group="link")
    async def run_link(self) -> None:
        """Connect (retrying with back-off until a daemon answers), then apply the stream."""
        attempt = 0
        while self.client is None:
            try:
                self.client = await self.client_factory(self.say)
            except Exception as exc:  # noqa: BLE001 - any failure to connect is shown and retried
                if _refused(exc):
                    self.show_state("disconnected", problem=str(exc))  # retrying cannot help
                    return
                if isinstance(exc, DaemonMissing):
                    # --no-autostart, or idmd would not start: say why and fail (idm-tui(1)).
                    self.exit(return_code=1, message=f"idm-tui: {exc}")
                    return
                # The client library's own schedule (it backs off the same way once connected);
                # imported here, not at the top: idmd.client loads aiohttp (see idm_tui.link).
                from idmd.client.state import backoff_delay

                attempt += 1
                delay = backoff_delay(attempt)
                self.show_state("reconnecting", time.time() + delay, problem=str(exc))
                await asyncio.sleep(delay)  # the back-off itself
        client = self.client
        self._forget_state = client.add_state_listener(self._on_state)
        self._on_state(client.status)
        async for item in client.subscribe():
            self.take(item)

    def action_start_daemon(self) -> None:
        self.start_daemon()

    @work(exclusive=True, group="start-daemon")
    async def start_daemon(self) -> None:
        """``idmd --detach`` once the daemon is gone, then a new connection to it at once
        (the old one would only retry after its back-off)."""
        line = self.main_screen.status
        if self.daemon_starter is None:
            self.notify(
                "idm-tui was given --url: start that daemon where it runs", severity="warning"
            )
            return
        if line.state == "connected":
            self.notify("idmd is running")
            return
        line.starting = True
        try:
            started, said = await self.daemon_starter()
        finally:
            line.starting = False
        if not started:
            self.notify(f"could not start idmd: {said}", severity="error", timeout=10)
            return
        self.say(said or "started idmd in the background")
        if self.client is not None and line.state == "connected":
            return  # the old connection found the new daemon by itself while it started
        old, self.client = self.client, None
        self._forget_state()  # the old connection's state is no longer the TUI's
        self.show_state("connecting")
        if old is not None:
            await old.close()
        self.run_link()  # exclusive: replaces the worker reading the old connection

    def say(self, note: str) -> None:
        """News from connecting (such as "started idmd") for the status line."""
        self.main_screen.status.note = note

    def _on_state(self, status: ConnectionStatus) -> None:
        retry_at = time.time() + status.retry_in if status.retry_in else 0.0
        self.show_state(str(status.state), retry_at, status.error or "")

    def show_state(self, state: str, retry_at: float = 0.0, problem: str = "") -> None:
        line = self.main_screen.status
        line.state = state
        line.retry_at = retry_at
        line.problem = problem

    # -- applying what the daemon says -------------------------------------------

    def take(self, item: dict[str, Any]) -> None:
        """Apply a snapshot item or an event and schedule a coalesced repaint."""
        if item.get("type") == "snapshot":
            snap = item.get("snapshot") or {}
            jobs = snap.get("jobs", []) if isinstance(snap, dict) else snap
            change = self.model.apply_snapshot(jobs, item.get("seq"), bool(item.get("reset")))
            if isinstance(snap, dict) and isinstance(snap.get("stats"), dict):
                self.model.stats = dict(snap["stats"])
            self.main_screen.on_snapshot()
        else:
            change = self.model.apply_event(item)
        self._pending.merge(change)
        if change.pairing is not None:
            self.push_screen(PairingScreen(change.pairing))
        for job_id in change.waiting:
            self.ask_duplicate(job_id)
        if str(item.get("type")).startswith(
            ("queue.", "schedule.")
        ):  # a queue opened, a window changed
            for screen in self.screen_stack:
                schedule_changed = getattr(screen, "schedule_changed", None)
                if schedule_changed is not None:
                    schedule_changed()
        if change.paired is not None:
            for screen in self.screen_stack:
                if isinstance(screen, PairingScreen) and screen.code == change.paired:
                    screen.dismiss(None)  # approved elsewhere (idm pair approve)
        if not self._flush_scheduled:
            # Rows that come and go show almost at once; progress waits for company.
            self.set_timer(STRUCTURE_INTERVAL if change.structure else REPAINT_INTERVAL, self.flush)
            self._flush_scheduled = True
        elif change.structure and not self._structure_soon:
            self.set_timer(STRUCTURE_INTERVAL, self.flush)
            self._structure_soon = True

    def ask_duplicate(self, job_id: str) -> None:
        """One modal per waiting job, however many events say it waits."""
        job = self.model.jobs.get(job_id)
        if job is None or job.get("status") != "waiting":
            return
        if any(isinstance(s, DuplicateScreen) and s.job["id"] == job_id for s in self.screen_stack):
            return
        self.push_screen(DuplicateScreen(job))

    def flush(self) -> None:
        """Hand the gathered changes to every live screen."""
        self._flush_scheduled = self._structure_soon = False
        change, self._pending = self._pending, Change()
        if not (change.rows or change.structure or change.stats or change.log):
            return  # a second timer after the first already flushed
        for screen in self.screen_stack:
            apply = getattr(screen, "apply_change", None)
            if apply is not None:
                apply(change)

    # -- calls -----------------------------------------------------------------

    async def rpc(self, method: str, params: Any = None) -> Any:
        """Call the daemon; errors become a notification and None."""
        if self.client is None:
            self.notify("not connected to idmd", severity="error")
            return None
        try:
            return await self.client.call(method, params)
        except RpcError as exc:
            self.notify(f"{method}: {exc.detail}", severity="error")
        except Exception as exc:  # noqa: BLE001
            # ClientError, OSError, timeouts: shown, never fatal
            self.notify(f"{method}: {exc}", severity="error")
        return None

    def request(
        self, method: str, params: Any = None, done: Callable[[Any], None] | None = None
    ) -> None:
        """``rpc`` in a worker; ``done(result)`` runs when it succeeded."""

        async def run() -> None:
            result = await self.rpc(method, params)
            if result is not None and done is not None:
                done(result)

        self.run_worker(run(), group="rpc")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        commands = getattr(screen, "palette_commands", None)
        if commands is not None:
            yield from commands()

    async def on_unmount(self) -> None:
        if self.client is not None:
            await self.client.close()


def _refused(exc: Exception) -> bool:
    """The daemon refused the token (the client library is loaded by then)."""
    from idmd.client import AuthenticationFailed

    return isinstance(exc, AuthenticationFailed)
