"""The speed limit dialog: for the selected job (``jobs.update``) or for all
downloads (``config.set speed_limit``). Rates are read as ``idm`` reads them
(``idmd.core.units``); a rate it cannot read is refused in place, saying the
expected form."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

from idm_tui.format import parse_rate
from idm_tui.widgets.cells import job_name
from idmd.core.human import human_speed
from idmd.protocol.models import Job

if TYPE_CHECKING:
    from idm_tui.app import IdmApp


class LimitScreen(ModalScreen[None]):
    """A speed like ``2M`` or ``500K``; empty or 0 lifts the limit."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, job: Job | None, global_limit: int) -> None:
        super().__init__()
        self.job = job
        self.global_limit = global_limit

    def compose(self) -> ComposeResult:
        current = human_speed(self.global_limit) if self.global_limit else "none"
        with Vertical(classes="dialog"):
            yield Label("Speed limit", classes="title")
            with RadioSet(id="scope"):
                yield RadioButton(
                    f"This job: {job_name(self.job)}" if self.job else "This job (none selected)",
                    value=self.job is not None,
                    disabled=self.job is None,
                    id="job",
                )
                yield RadioButton(
                    f"All downloads (now {current})", value=self.job is None, id="all"
                )
            yield Input(placeholder="e.g. 500K, 2M, 2.5MiB; empty or 0 for no limit", id="rate")
            yield Label("", id="limit-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Set", variant="primary", id="set")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#rate", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.apply() if event.button.id == "set" else self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    def apply(self) -> None:
        try:
            rate = parse_rate(self.query_one("#rate", Input).value)
        except ValueError as exc:
            self.query_one("#limit-error", Label).update(str(exc))
            return
        app: IdmApp = self.app  # type: ignore[assignment]
        for_job = self.query_one("#job", RadioButton).value and self.job is not None
        if for_job and self.job is not None:
            app.request("jobs.update", {"id": self.job["id"], "patch": {"speed_limit": rate}})
        else:
            app.request("config.set", {"patch": {"speed_limit": rate}})
        self.dismiss(None)
