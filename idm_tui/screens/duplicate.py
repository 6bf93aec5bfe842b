"""The duplicate decision: a job with ``on_duplicate: ask`` found its file
already there and waits until the user picks rename, overwrite or skip."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from idm_tui.model import ShownJob
from idm_tui.widgets.cells import job_name

if TYPE_CHECKING:
    from idm_tui.app import IdmApp


class DuplicateScreen(ModalScreen[None]):
    """Answers with ``jobs.resolve_duplicate``; escape decides later (the job keeps waiting)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "later", "Later")]

    def __init__(self, job: ShownJob) -> None:
        super().__init__()
        self.job = job

    def compose(self) -> ComposeResult:
        info = self.job.get("duplicate") or {}
        path = info.get("path") or self.job.get("path") or job_name(self.job)
        with Vertical(classes="dialog"):
            yield Label("The file already exists", classes="title")
            yield Label(f"{path}")
            with Horizontal(classes="buttons"):
                yield Button("Rename", variant="primary", id="rename")
                yield Button("Overwrite", variant="warning", id="overwrite")
                yield Button("Skip", id="skip")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        app: IdmApp = self.app  # type: ignore[assignment]
        app.request("jobs.resolve_duplicate", {"id": self.job["id"], "action": event.button.id})
        self.dismiss(None)

    def action_later(self) -> None:
        self.dismiss(None)
