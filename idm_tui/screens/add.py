"""The add dialog: a URL (from the clipboard when it holds one), probed on the
daemon so the qualities offered are the ones the URL really has; folder,
connections and whether to start now. Probe errors are shown in place."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select

from idm_tui.clipboard import clipboard_url, looks_like_url
from idmd.core.human import human_size
from idmd.protocol.errors import RpcError
from idmd.protocol.options import BY_NAME

if TYPE_CHECKING:
    from idm_tui.app import IdmApp

START = BY_NAME["start"]
# One button per declared ``start`` choice (tests/test_declaration.py holds them equal).
START_LABELS = {"now": "start now", "queued": "queue", "paused": "paused"}


def quality_options(probe: dict[str, Any]) -> list[tuple[str, str]]:
    """``(label, value)`` pairs for the quality list: a ``jobs.probe`` result's
    ``qualities`` are the names (``720p``, ``audio``, …) the URL really has."""
    return [(str(name), str(name)) for name in probe.get("qualities") or []]


def describe_probe(probe: dict[str, Any]) -> str:
    kind = probe.get("kind", "file")
    name = probe.get("filename") or (probe.get("media") or {}).get("title") or ""
    if kind == "playlist":
        return f"playlist: {len(probe.get('entries') or [])} entries"
    size = human_size(probe.get("size")) if probe.get("size") is not None else "size unknown"
    resumable = ", resumable" if probe.get("resumable") else ""
    return f"{kind}: {name}  {size}{resumable}"


class AddScreen(ModalScreen[None]):
    """Enter (or the Add button) adds the job; escape closes without adding."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, url: str | None = None, read_clipboard: bool = True) -> None:
        super().__init__()
        self.initial_url = url
        self.read_clipboard = read_clipboard and url is None
        self.probed: dict[str, Any] | None = None
        self.probed_url = ""

    @property
    def idm(self) -> IdmApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="add-dialog"):
            yield Label("Add a download", classes="title")
            yield Input(self.initial_url or "", placeholder="URL (enter probes it)", id="url")
            yield Label("", id="probe-info")
            yield Select[str]([], prompt="quality", allow_blank=True, id="quality")
            yield Input(placeholder="folder (empty: the daemon's download folder)", id="dir")
            with Horizontal(classes="row"):
                yield Label("connections", classes="field-label")
                yield Input("8", type="integer", id="connections", max_length=2)
                with RadioSet(id="start"):
                    for value, label in START_LABELS.items():
                        yield RadioButton(label, value=value == START.default, id=value)
            with Horizontal(classes="buttons"):
                yield Button("Add", variant="primary", id="add")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#quality", Select).display = False
        self.query_one("#url", Input).focus()
        if self.initial_url:
            self.probe(self.initial_url)
        elif self.read_clipboard:
            self.fill_from_clipboard()

    @work(thread=True, exclusive=True, group="clipboard")
    def fill_from_clipboard(self) -> None:
        url = clipboard_url()
        if url:
            self.app.call_from_thread(self._prefill, url)

    def _prefill(self, url: str) -> None:
        box = self.query_one("#url", Input)
        if not box.value:
            box.value = url
            self.probe(url)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "url" and event.value.strip() != self.probed_url:
            self.probe(event.value.strip())
        else:
            self.add()

    def action_probe(self) -> None:
        self.probe(self.query_one("#url", Input).value.strip())

    @work(exclusive=True, group="probe")
    async def probe(self, url: str) -> None:
        info = self.query_one("#probe-info", Label)
        if not looks_like_url(url):
            self.show_error("not a URL: it should start with http:// or https://")
            return
        info.remove_class("error")
        info.update("probing…")
        probe = await self.ask("jobs.probe", {"url": url, "options": {}})
        if probe is None:
            return
        self.probed, self.probed_url = probe, url
        info.update(describe_probe(probe))
        options = quality_options(probe)
        select = self.query_one("#quality", Select)
        select.set_options(options)
        select.display = bool(options)
        if options:
            select.value = options[0][1]

    async def ask(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """The daemon's answer, or None once the reason there is none is shown in place."""
        client = self.idm.client
        if client is None:
            self.show_error("not connected to idmd")
            return None
        try:
            answer: dict[str, Any] = await client.call(method, params)
        except RpcError as exc:
            self.show_error(exc.detail)
            return None
        except Exception as exc:  # noqa: BLE001 - a lost connection is shown in place
            self.show_error(str(exc))
            return None
        return answer

    def show_error(self, message: str) -> None:
        info = self.query_one("#probe-info", Label)
        info.update(message)
        info.add_class("error")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.add() if event.button.id == "add" else self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        folder = self.query_one("#dir", Input).value.strip()
        if folder:
            options["dir"] = str(Path(folder).expanduser().absolute())  # the daemon refuses relative folders
        connections = self.query_one("#connections", Input).value.strip()
        if connections.isdigit():
            options["connections"] = int(connections)
        quality = self.query_one("#quality", Select)
        if quality.display and isinstance(quality.value, str):
            options["quality"] = quality.value
        pressed = self.query_one("#start", RadioSet).pressed_button
        options["start"] = pressed.id if pressed is not None and pressed.id else START.default
        return options

    @work(exclusive=True, group="add")
    async def add(self) -> None:
        url = self.query_one("#url", Input).value.strip()
        if not looks_like_url(url):
            self.show_error("not a URL: it should start with http:// or https://")
            return
        if await self.ask("jobs.add", {"url": url, "options": self.options()}) is not None:
            self.dismiss(None)
