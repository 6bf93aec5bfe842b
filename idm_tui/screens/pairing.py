"""The pairing request: a browser extension asks for a token; the user
compares the code it shows and approves or denies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

if TYPE_CHECKING:
    from idm_tui.app import IdmApp


class PairingScreen(ModalScreen[None]):
    """Approve (``pairing.approve``) or deny (``pairing.deny``) one code."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "deny", "Deny")]

    def __init__(self, request: dict[str, Any]) -> None:
        super().__init__()
        self.request = request
        client = request.get("client")
        client = client if isinstance(client, dict) else {}
        self.client_name = str(request.get("name") or client.get("name") or "an unknown client")
        self.code = str(request.get("code", ""))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Pairing request", classes="title")
            yield Label(f"[b]{self.client_name}[/b] asks to control idm.")
            yield Label(
                f"Code: [b reverse] {self.code} [/]  (it must match the one the client shows)"
            )
            with Horizontal(classes="buttons"):
                yield Button("Approve", variant="success", id="approve")
                yield Button("Deny", variant="error", id="deny")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_approve() if event.button.id == "approve" else self.action_deny()

    def action_approve(self) -> None:
        self._answer("pairing.approve")

    def action_deny(self) -> None:
        self._answer("pairing.deny")

    def _answer(self, method: str) -> None:
        app: IdmApp = self.app  # type: ignore[assignment]
        app.request(method, {"code": self.code})
        self.dismiss(None)
