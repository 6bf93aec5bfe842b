"""Confirmations for what cannot be undone: cancelling a download (its partial data
is deleted) and removing a job from the list (optionally with its file)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label

from idm_tui.widgets.cells import job_name
from idmd.protocol.models import Job


class RemoveScreen(ModalScreen[tuple[bool, bool]]):
    """Dismisses with ``(remove, delete_file)``; escape answers no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "no", "Keep"),
        Binding("y", "yes", "Remove"),
    ]

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Remove [b]{job_name(self.job)}[/b] from the list?", classes="title")
            yield Checkbox("Also delete the file from disk", id="delete-file")
            with Horizontal(classes="buttons"):
                yield Button("Remove", variant="error", id="yes")
                yield Button("Keep", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_yes() if event.button.id == "yes" else self.action_no()

    def action_yes(self) -> None:
        self.dismiss((True, self.query_one("#delete-file", Checkbox).value))

    def action_no(self) -> None:
        self.dismiss((False, False))


class CancelScreen(ModalScreen[bool]):
    """Dismisses with True to cancel the download; escape or ``n`` keeps it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "no", "Keep"),
        Binding("y", "yes", "Cancel it"),
    ]

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                f"Cancel [b]{job_name(self.job)}[/b]? What it downloaded so far is deleted.",
                classes="title",
            )
            with Horizontal(classes="buttons"):
                yield Button("Cancel download", variant="error", id="yes")
                yield Button("Keep", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_yes() if event.button.id == "yes" else self.action_no()

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
