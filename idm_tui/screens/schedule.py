"""The queues and schedule dialog: see the named queues (open, held or closed, what runs and
waits, the next change) and edit one, hold or start it, and edit the speed windows.

Windows are typed as ``idm`` takes them (``mon-fri 18:00-08:00``, several
separated by ``;``); the daemon checks them (idmd/protocol/schedule.py) and
its message, naming the field, shows under the form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label

from idmd.core.human import human_speed
from idmd.protocol.errors import RpcError
from idmd.protocol.schedule import DEFAULT_QUEUE, start_time

if TYPE_CHECKING:
    from idm_tui.app import IdmApp

COLUMNS = ("QUEUE", "NOW", "WINDOWS", "START AT", "WHEN DONE", "RUN/WAIT", "NEXT CHANGE")


def queue_cells(queue: dict[str, Any]) -> tuple[str, ...]:
    state = "open" if queue["open"] else ("held" if queue["held"] else "closed")
    jobs = queue["jobs"]
    return (
        queue["name"],
        state,
        "; ".join(w["text"] for w in queue["windows"]) or "any time",
        queue["start_at"] or "",
        "stop" if queue["stop_when_done"] else "",
        f"{jobs['downloading']}/{jobs['queued']}",
        queue["next_change"] or "",
    )


def split_windows(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def limit_text(value: int | None) -> str:
    return "unlimited" if not value else human_speed(value)


class ScheduleScreen(ModalScreen[None]):
    """Queues and speed windows, read from and saved to the daemon."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self) -> None:
        super().__init__()
        self.queues: list[dict[str, Any]] = []

    @property
    def idm(self) -> IdmApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="schedule-dialog"):
            yield Label("Queues and schedule", classes="title")
            table: DataTable[str] = DataTable(id="queues", cursor_type="row", zebra_stripes=True)
            table.add_columns(*COLUMNS)
            yield table
            with Horizontal(classes="row"):
                yield Input(placeholder="queue name", id="name")
                yield Checkbox("stop when done", id="stop-when-done")
            yield Input(
                placeholder="windows: mon-fri 18:00-08:00; sat,sun 00:00-24:00 (empty: any time)",
                id="windows",
            )
            yield Input(
                placeholder="start at: HH:MM or 2026-12-24T22:00 (empty: none)", id="start-at"
            )
            with Horizontal(classes="buttons"):
                yield Button("Save queue", variant="primary", id="save")
                yield Button("Hold", id="hold")
                yield Button("Start", id="release")
                yield Button("Remove", id="remove")
            yield Label("Speed windows (outside them: the config's speed limit)", classes="title")
            yield Input(placeholder="mon-fri 08:00-18:00 1M; sat,sun 10:00-14:00 0", id="limits")
            yield Label("", id="limit-now")
            yield Label("", id="schedule-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save speed windows", id="save-limits")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.reload()

    def schedule_changed(self) -> None:
        """The daemon says a queue opened or closed, or the schedule was changed (by anyone)."""
        self.reload()

    # -- reading -------------------------------------------------------------------------
    @work(exclusive=True, group="schedule-load")
    async def reload(self) -> None:
        queues = await self.call("queues.list")
        limits = await self.call("schedule.get")
        if queues is not None:
            self.show_queues(queues)
        if limits is not None:
            self.show_limits(limits)

    def show_queues(self, queues: list[dict[str, Any]]) -> None:
        self.queues = queues
        table = self.query_one("#queues", DataTable)
        row = table.cursor_row
        table.clear()
        for queue in queues:
            table.add_row(*queue_cells(queue), key=queue["name"])
        if queues:
            table.move_cursor(row=min(max(row, 0), len(queues) - 1))

    def show_limits(self, result: dict[str, Any]) -> None:
        self.query_one("#limits", Input).value = "; ".join(
            f"{item['text']} {item['limit']}" for item in result["limits"]
        )
        window = (
            "no window open" if result["limit"] is None else f"window {limit_text(result['limit'])}"
        )
        self.query_one("#limit-now", Label).update(
            f"now: {window}, in effect {limit_text(result['effective'])}"
            + (f", next change {result['next_change']}" if result["next_change"] else "")
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = event.row_key.value if event.row_key is not None else None
        queue = next((q for q in self.queues if q["name"] == name), None)
        if queue is None:
            return
        self.query_one("#name", Input).value = queue["name"]
        self.query_one("#windows", Input).value = "; ".join(w["text"] for w in queue["windows"])
        self.query_one("#start-at", Input).value = queue["start_at"] or ""
        self.query_one("#stop-when-done", Checkbox).value = queue["stop_when_done"]

    # -- changing ------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id
        if button == "close":
            self.dismiss(None)
            return
        name = self.query_one("#name", Input).value.strip() or DEFAULT_QUEUE
        if button == "save":
            self.change(
                "queues.set",
                {
                    "name": name,
                    "windows": split_windows(self.query_one("#windows", Input).value),
                    "start_at": start_time(self.query_one("#start-at", Input).value),
                    "stop_when_done": self.query_one("#stop-when-done", Checkbox).value,
                },
            )
        elif button == "save-limits":
            self.change(
                "schedule.set", {"limits": split_windows(self.query_one("#limits", Input).value)}
            )
        elif button in ("hold", "release", "remove"):
            method = {"hold": "queues.stop", "release": "queues.start", "remove": "queues.remove"}[
                button
            ]
            self.change(method, {"name": name})

    @work(exclusive=True, group="schedule-change")
    async def change(self, method: str, params: dict[str, Any]) -> None:
        if await self.call(method, params) is not None:
            self.query_one("#schedule-error", Label).update("")
            self.reload()

    async def call(self, method: str, params: Any = None) -> Any:
        """Call the daemon; its refusal (naming the field) shows under the form."""
        client = self.idm.client
        if client is None:
            self.query_one("#schedule-error", Label).update("not connected to idmd")
            return None
        try:
            return await client.call(method, params)
        except RpcError as exc:
            self.query_one("#schedule-error", Label).update(exc.detail)
        except Exception as exc:  # noqa: BLE001 - a lost connection is shown, never fatal
            self.query_one("#schedule-error", Label).update(f"{method}: {exc}")
        return None

    def action_close(self) -> None:
        self.dismiss(None)
