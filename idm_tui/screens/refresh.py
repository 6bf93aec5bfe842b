"""The new-link dialog (``u`` in a job's details): give a paused or failed download a new
URL and keep its bytes (``jobs.update {patch: {url}}``). The daemon probes the link;
a refusal (another file, a job that is running) shows under the field, saying what
differs, and the dialog stays open."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from idm_tui.widgets.cells import job_name
from idmd.protocol.errors import RpcError
from idmd.protocol.models import Job

if TYPE_CHECKING:
    from idm_tui.app import IdmApp


class RefreshScreen(ModalScreen[None]):
    """One field, the new URL; Enter sends it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"New URL for {job_name(self.job)}", classes="title")
            yield Label(f"now: {self.job.get('url', '')}", id="refresh-old")
            yield Input(
                placeholder="https://… (the same file; its bytes so far are kept)", id="refresh-url"
            )
            yield Label("", id="refresh-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Set", variant="primary", id="set")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#refresh-url", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.send()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.send() if event.button.id == "set" else self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="refresh")
    async def send(self) -> None:
        url = self.query_one("#refresh-url", Input).value.strip()
        error = self.query_one("#refresh-error", Label)
        if not url:
            error.update("give the new URL")
            return
        app: IdmApp = self.app  # type: ignore[assignment]
        if app.client is None:
            error.update("not connected to idmd")
            return
        error.update("checking the new URL…")
        try:
            await app.client.call("jobs.update", {"id": self.job["id"], "patch": {"url": url}})
        except RpcError as exc:
            error.update(exc.detail)
            return
        except Exception as exc:  # noqa: BLE001 - a lost connection: said in place, never fatal
            error.update(str(exc))
            return
        app.notify(f"{job_name(self.job)}: new URL accepted")
        self.dismiss(None)
