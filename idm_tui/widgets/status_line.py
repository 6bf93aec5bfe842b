"""The line above the key footer: total speed, active and queued counts, and
whether the TUI is connected, reconnecting (with a countdown) or cut off, and
then the key that starts the daemon again (when the TUI may start one)."""

from __future__ import annotations

import time

from rich.text import Text
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from idmd.core.human import human_speed


class StatusLine(Widget):
    """One line of totals and the connection state.

    Reactives: ``speed`` (B/s), ``active``, ``queued``, ``limit`` (global
    speed limit, 0 for none), ``state`` (connected, connecting, reconnecting,
    disconnected), ``retry_at`` (wall time of the next attempt), ``note``,
    ``can_start`` (the key ``s`` starts idmd), ``starting`` (it is starting) and
    ``fleet`` (the nodes of the daemon's fleet, if it is in one).
    """

    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $panel; }
    """

    speed: reactive[float] = reactive(0.0)
    active: reactive[int] = reactive(0)
    queued: reactive[int] = reactive(0)
    limit: reactive[int] = reactive(0)
    state: reactive[str] = reactive("connecting")
    retry_at: reactive[float] = reactive(0.0)
    problem: reactive[str] = reactive("")
    note: reactive[str] = reactive("")
    can_start: reactive[bool] = reactive(False)
    starting: reactive[bool] = reactive(False)
    fleet: reactive[str] = reactive(
        ""
    )  # the fleet's nodes (``idm_tui.format.fleet_line``), empty: none

    _ticker: Timer | None = None  # made on mount; ``state`` may change before that

    def on_mount(self) -> None:
        # Only the countdown needs a clock; it ticks while reconnecting, never otherwise.
        self._ticker = self.set_interval(1.0, self.refresh, pause=True)

    def watch_state(self, state: str) -> None:
        if self._ticker is None:
            return
        if state == "reconnecting":
            self._ticker.resume()
        else:
            self._ticker.pause()

    def render(self) -> Text:
        text = Text()
        text.append(f"↓ {human_speed(self.speed)}", style="bold")
        if self.limit:
            text.append(f" (limit {human_speed(self.limit)})", style="yellow")
        text.append(f"   {self.active} active   {self.queued} queued   ")
        text.append_text(self._state_text())
        if self.fleet and self.state == "connected":
            text.append(f"   {self.fleet}", style="cyan")
        if self.state != "connected" and self.can_start:
            text.append("   starting idmd…" if self.starting else "   s: start idmd", style="bold")
        if self.problem and self.state != "connected":
            text.append(f"   {self.problem}", style="italic red")
        elif self.note:
            text.append(f"   {self.note}", style="italic")
        return text

    def _state_text(self) -> Text:
        if self.state == "connected":
            return Text("● connected", style="green")
        if self.state == "reconnecting":
            wait = max(0, round(self.retry_at - time.time())) if self.retry_at else 0
            return Text(
                f"◌ reconnecting in {wait} s" if wait else "◌ reconnecting…", style="yellow"
            )
        if self.state == "connecting":
            return Text("◌ connecting…", style="yellow")
        return Text("○ disconnected", style="red")
