"""Text from the outside world (headers, reason phrases, file names, tool
messages) made valid Unicode where it enters the daemon.

Python decodes undecodable bytes to lone surrogates (``surrogateescape``);
such a string cannot be encoded as UTF-8, so one raw byte in a server's
reason phrase would make every frame that carries it unsendable. Here the
escaped bytes are decoded again as browsers do (UTF-8, else Latin-1), and
any other lone surrogate becomes U+FFFD.
"""

from __future__ import annotations

import math
import re

_SURROGATES = re.compile("[\ud800-\udfff]+")
_ESCAPED = re.compile("[\udc80-\udcff]+")


def has_surrogates(text: str) -> bool:
    """True when ``text`` cannot be encoded as UTF-8."""
    return _SURROGATES.search(text) is not None


def _bytes_back(match: re.Match[str]) -> str:
    raw = match.group().encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def valid_text(text: str) -> str:
    """``text`` as valid Unicode: escaped bytes decoded (UTF-8, else Latin-1), other lone
    surrogates replaced by U+FFFD. Cheap for the usual text that has none."""
    if not has_surrogates(text):
        return text
    text = _ESCAPED.sub(_bytes_back, text)
    return _SURROGATES.sub(lambda m: "\ufffd" * len(m.group()), text)


def scrub(value: object) -> object:
    """A copy of a JSON-like value that any strict peer can read: every string made
    valid (keys included), every non-finite float null."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v) for v in value]
    return value
