"""The add dialog: one URL or several (one a line, added together with
``jobs.add_many``), file name, folder, connections, checksum, headers and
when to start. A single URL is probed on the daemon once the typing pauses,
so the qualities offered are the ones it really has.

The fields are read by ``idm_tui.add_form`` against the options declaration
the daemon checks with; each error shows under its own field, the daemon's
too (its ``param`` names the field).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, TextArea

from idm_tui.add_form import FIELDS, FormText, field_of, read_form
from idm_tui.clipboard import clipboard_url, looks_like_url
from idmd.core.human import human_size
from idmd.protocol.errors import RpcError
from idmd.protocol.options import BY_NAME

if TYPE_CHECKING:
    from idm_tui.app import IdmApp

START = BY_NAME["start"]
CONNECTIONS = BY_NAME["connections"]
# One button per declared ``start`` choice (tests/test_declaration.py holds them equal).
START_LABELS = {"now": "start now", "queued": "queue", "paused": "paused"}
# A single URL is probed once the typing pauses this long.
PROBE_DELAY = 0.4


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
    """Enter in a one-line field, ctrl+s or the Add button adds; escape closes without adding."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "add", "Add"),
    ]

    def __init__(
        self, url: str | None = None, read_clipboard: bool = True, cwd: str | None = None
    ) -> None:
        super().__init__()
        self.initial_url = url
        self.read_clipboard = read_clipboard and url is None
        self.cwd = cwd or os.getcwd()  # relative folders are the user's, resolved here
        self.probed: dict[str, Any] | None = None
        self.probed_url = ""
        self._typing: Timer | None = None

    @property
    def idm(self) -> IdmApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="add-dialog"):
            yield Label("Add a download", classes="title")
            with Horizontal(classes="field"):
                yield Label("URLs", classes="field-label")
                yield TextArea(
                    self.initial_url or "",
                    id="urls",
                    compact=True,
                    soft_wrap=False,
                    placeholder="URL (several: one a line)",
                )
            yield Label("", id="probe-info")
            yield Select[str]([], prompt="quality", allow_blank=True, id="quality", compact=True)
            yield from _field("filename", "file name", "empty: the server's name")
            yield from _field("dir", "folder", "empty: the daemon's download folder")
            with Horizontal(classes="field"):
                yield Label("connections", classes="field-label")
                yield Input(
                    placeholder=f"{CONNECTIONS.low}-{CONNECTIONS.high}",
                    type="integer",
                    id="connections",
                    max_length=len(str(CONNECTIONS.high)),
                    compact=True,
                )
                with RadioSet(id="start", compact=True):
                    for value, label in START_LABELS.items():
                        yield RadioButton(label, value=value == START.default, id=value)
            yield Label("", id="connections-error", classes="field-error")
            yield from _field("checksum", "checksum", "sha256=HEX, sha1=HEX, md5=HEX or sha512=HEX")
            with Horizontal(classes="field"):
                yield Label("headers", classes="field-label")
                yield TextArea(
                    id="headers",
                    compact=True,
                    soft_wrap=False,
                    placeholder="Name: Value, one a line",
                )
            yield Label("", id="headers-error", classes="field-error")
            with Horizontal(classes="buttons"):
                # Enter in the URL box starts another line: say which key adds.
                yield Label("ctrl+s adds · esc closes", classes="keys-hint")
                yield Button("Add", variant="primary", id="add")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#quality", Select).display = False
        self.query_one("#urls", TextArea).focus()
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
        box = self.query_one("#urls", TextArea)
        if not box.text:
            box.text = url
            self.probe(url)

    # -- probing one URL ---------------------------------------------------------

    def urls(self) -> list[str]:
        return [
            line.strip()
            for line in self.query_one("#urls", TextArea).text.splitlines()
            if line.strip()
        ]

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.id != "urls":
            return
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(PROBE_DELAY, self._typed)

    def _typed(self) -> None:
        """One URL: probe it (once). Several: no probe, no quality list."""
        self._typing = None
        urls = self.urls()
        if len(urls) == 1 and looks_like_url(urls[0]):
            if urls[0] != self.probed_url:
                self.probe(urls[0])
            return
        self.probed, self.probed_url = None, ""
        self.query_one("#quality", Select).display = False
        info = self.query_one("#probe-info", Label)
        info.remove_class("error")
        info.update(f"{len(urls)} URLs, added together" if len(urls) > 1 else "")

    @work(exclusive=True, group="probe")
    async def probe(self, url: str) -> None:
        info = self.query_one("#probe-info", Label)
        if not looks_like_url(url):
            self.show_errors({"urls": "not a URL: it should start with http:// or https://"})
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

    async def ask(self, method: str, params: dict[str, Any]) -> Any:
        """The daemon's answer, or None once the reason there is none is shown in place."""
        client = self.idm.client
        if client is None:
            self.show_errors({"urls": "not connected to idmd"})
            return None
        try:
            return await client.call(method, params)
        except RpcError as exc:
            param = exc.data.get("param") if isinstance(exc.data, dict) else None
            self.show_errors({field_of(str(param)) if param else "urls": exc.detail})
        except Exception as exc:  # noqa: BLE001 - a lost connection is shown in place
            self.show_errors({"urls": str(exc)})
        return None

    # -- errors in place ---------------------------------------------------------------

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each field's error under it (the URLs' in the probe line); the others cleared."""
        info = self.query_one("#probe-info", Label)
        if "urls" in errors:
            info.update(errors["urls"])
            info.add_class("error")
        elif info.has_class("error"):
            info.update("")
            info.remove_class("error")
        for name in FIELDS[1:]:
            label = self.query_one(f"#{name}-error", Label)
            label.update(errors.get(name, ""))
            label.set_class(name in errors, "shown")

    # -- adding ----------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.add()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.add() if event.button.id == "add" else self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_add(self) -> None:
        self.add()

    def form_text(self) -> FormText:
        return FormText(
            urls=self.query_one("#urls", TextArea).text,
            filename=self.query_one("#filename", Input).value,
            dir=self.query_one("#dir", Input).value,
            connections=self.query_one("#connections", Input).value,
            checksum=self.query_one("#checksum", Input).value,
            headers=self.query_one("#headers", TextArea).text,
        )

    @work(exclusive=True, group="add")
    async def add(self) -> None:
        form = read_form(self.form_text(), self.cwd)
        self.show_errors(form.errors)
        if form.errors:
            return
        options = dict(form.options)
        quality = self.query_one("#quality", Select)
        if len(form.urls) == 1 and quality.display and isinstance(quality.value, str):
            options["quality"] = quality.value
        pressed = self.query_one("#start", RadioSet).pressed_button
        options["start"] = pressed.id if pressed is not None and pressed.id else START.default
        if len(form.urls) == 1:
            if await self.ask("jobs.add", {"url": form.urls[0], "options": options}) is not None:
                self.dismiss(None)
            return
        results = await self.ask(
            "jobs.add_many", {"items": [{"url": url, "options": options} for url in form.urls]}
        )
        if results is not None:
            self.after_add_many(form.urls, results)

    def after_add_many(self, urls: list[str], results: list[dict[str, Any]]) -> None:
        """Close when all were added; else keep only the refused URLs, each with its reason."""
        refused = [
            (url, result["error"])
            for url, result in zip(urls, results, strict=False)
            if isinstance(result, dict)
            and "id" not in result
            and isinstance(result.get("error"), dict)
        ]
        if not refused:
            self.dismiss(None)
            return
        self.query_one("#urls", TextArea).text = "\n".join(url for url, _ in refused)
        errors: dict[str, str] = {}
        for number, (_, error) in enumerate(refused, 1):
            param = str((error.get("data") or {}).get("param") or "")
            errors.setdefault(
                field_of(param) if param else "urls", f"line {number}: {error.get('message')}"
            )
        added = len(urls) - len(refused)
        errors.setdefault("urls", f"{added} added; the {len(refused)} left here were refused")
        self.show_errors(errors)


def _field(name: str, label: str, placeholder: str) -> ComposeResult:
    """A labelled one-line field and the line under it for its error."""
    with Horizontal(classes="field"):
        yield Label(label, classes="field-label")
        yield Input(placeholder=placeholder, id=name, compact=True)
    yield Label("", id=f"{name}-error", classes="field-error")
