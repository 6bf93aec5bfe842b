"""What the add dialog's fields mean: URLs (one a line), and the job options
checked against the declaration the daemon checks them with
(``idmd.protocol.options``), each error kept for the field it belongs to.

Pure: the screen hands over the texts and the user's working directory and
shows the errors in place. A relative folder is made absolute here, against
the directory idm-tui was started from: the daemon refuses relative ones,
and its own working directory is not the user's.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from idm_tui.clipboard import looks_like_url
from idmd.protocol.errors import RpcError
from idmd.protocol.options import BY_NAME
from idmd.protocol.params import ITEMS, check_url

# The fields that take typed text, in the order of the dialog.
FIELDS = ("urls", "filename", "dir", "connections", "checksum", "headers")


@dataclass
class FormText:
    """The dialog's fields as typed."""

    urls: str = ""
    filename: str = ""
    dir: str = ""
    connections: str = ""
    checksum: str = ""
    headers: str = ""


@dataclass
class Form:
    """The jobs to add, or the errors by field (``urls``, ``dir``, …)."""

    urls: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def read_form(text: FormText, cwd: str) -> Form:
    form = Form()
    form.urls = [line.strip() for line in text.urls.splitlines() if line.strip()]
    form.errors.update(_url_errors(form.urls))
    if text.filename.strip():
        if len(form.urls) > 1:
            form.errors["filename"] = "a file name names one file: give one URL, or leave it empty"
        else:
            _take(form, "filename", text.filename.strip())
    if text.dir.strip():
        folder = os.path.expanduser(text.dir.strip())
        _take(form, "dir", os.path.normpath(os.path.join(cwd, folder)))
    if text.connections.strip():
        option = BY_NAME["connections"]
        try:
            number = int(text.connections.strip())
        except ValueError:
            form.errors["connections"] = f"a whole number from {option.low} to {option.high}"
        else:
            _take(form, "connections", number)
    if text.checksum.strip():
        _take(form, "checksum", text.checksum.strip())
    if text.headers.strip():
        headers = parse_headers(text.headers)
        if isinstance(headers, str):
            form.errors["headers"] = headers
        else:
            _take(form, "headers", headers)
    return form


def _url_errors(urls: list[str]) -> dict[str, str]:
    if not urls:
        return {"urls": "give a URL (several: one a line)"}
    if len(urls) > ITEMS.high:
        return {"urls": f"at most {ITEMS.high} URLs at once"}
    for number, url in enumerate(urls, 1):
        where = f"line {number}: " if len(urls) > 1 else ""
        if not looks_like_url(url):
            return {"urls": f"{where}not a URL: it should start with http:// or https://"}
        try:
            check_url(url)  # the daemon's own check: schemes, ports, length
        except RpcError as exc:
            return {"urls": where + exc.detail.removeprefix("url: ")}
    return {}


def _take(form: Form, name: str, value: Any) -> None:
    """The value as the daemon will check it, or the declaration's reason in place."""
    try:
        form.options[name] = BY_NAME[name].check(value, name)
    except RpcError as exc:
        form.errors[name] = exc.detail.removeprefix(f"{name}: ")


_HEADER_LINE = re.compile(r"^([^:\s]+)\s*:\s*(.*)$")


def parse_headers(text: str) -> dict[str, str] | str:
    """``Name: Value`` lines to a dict, or what is wrong with which line."""
    headers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _HEADER_LINE.match(line.strip())
        if match is None:
            return f"line {number}: expected Name: Value"
        headers[match.group(1)] = match.group(2).strip()
    return headers


def field_of(param: str) -> str:
    """The dialog field a daemon error's ``param`` names (``items[2].options.dir`` -> ``dir``)."""
    name = param.rsplit(".", 1)[-1]
    if name in FIELDS:
        return name
    return "urls"
