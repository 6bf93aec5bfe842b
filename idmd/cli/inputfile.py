"""``idm add -i FILE``: a list of URLs in aria2c's input-file form, read into
(URL, options) pairs. Pure: text in, entries or a ``InputFileError`` out.

The form (as aria2c documents ``--input-file``)::

    # a comment
    https://example.org/a.iso
      dir=/srv/isos
      out=a.iso
      header=Authorization: Bearer x
    https://example.org/b.bin

A line that starts with a blank is an option of the URL above it; a URL line
may carry mirrors after a tab (idm takes the first). Option names are
aria2c's (``dir``, ``out``, ``header``, ``split``,
``max-connection-per-server``, ``checksum``, ``referer``, ``user-agent``,
``max-download-limit``) or idm's own (``connections``, ``on_duplicate`` or
``on-duplicate``, ...: idmd.protocol.options). Values are checked here with
the declaration's own checks, so a bad line is refused with its number before
anything is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from idmd.core.units import UnitError, parse_size
from idmd.protocol.errors import InvalidParams
from idmd.protocol.options import BY_NAME, Kind, check_options

# aria2c's option names that mean one of idm's options.
ARIA2_NAMES: dict[str, str] = {
    "out": "filename",
    "header": "headers",
    "split": "connections",
    "max-connection-per-server": "connections",
    "max-download-limit": "speed_limit",
    "user-agent": "user_agent",
}


class InputFileError(ValueError):
    """A line that is not a URL, an option or a comment; the message names its number."""


@dataclass
class Entry:
    url: str
    line: int  # where the URL is, for messages
    options: dict[str, Any] = field(default_factory=dict)


def option_name(name: str) -> str | None:
    """idm's option for an aria2c or idm name, or None."""
    name = name.strip().lower()
    name = ARIA2_NAMES.get(name, name).replace("-", "_")
    return name if name in BY_NAME else None


def option_value(name: str, text: str) -> Any:
    """The JSON value of ``name=text`` (ValueError says the expected form)."""
    option = BY_NAME[name]
    if option.sized:
        return parse_size(text)
    if option.kind is Kind.INTEGER:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{name} wants a whole number, not {text!r}") from None
    if option.kind is Kind.BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise ValueError(f"{name} wants true or false, not {text!r}")
        return text.lower() == "true"
    return text


def parse(text: str) -> list[Entry]:
    """The entries of an input file, in order."""
    entries: list[Entry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            entries.append(Entry(line.split("\t")[0].strip(), number))
            continue
        if not entries:
            raise InputFileError(f"line {number}: an option before the first URL")
        key, sep, value = line.strip().partition("=")
        name = option_name(key)
        if not sep or name is None:
            raise InputFileError(f"line {number}: {line.strip()!r} is not a known option=value")
        _set(entries[-1], name, value.strip(), number)
    for entry in entries:
        try:
            entry.options = dict(check_options(entry.options))
        except InvalidParams as exc:
            raise InputFileError(f"line {entry.line}: {exc.detail}") from None
    return entries


def _set(entry: Entry, name: str, value: str, number: int) -> None:
    if BY_NAME[name].kind is Kind.HEADERS:
        header, sep, content = value.partition(":")
        if not sep or not header.strip():
            raise InputFileError(f"line {number}: header wants 'Name: value', not {value!r}")
        entry.options.setdefault(name, {})[header.strip()] = content.strip()
        return
    try:
        entry.options[name] = option_value(name, value)
    except (UnitError, ValueError) as exc:
        raise InputFileError(f"line {number}: {exc}") from None
