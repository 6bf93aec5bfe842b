"""Every job option, declared once: name, type, range or choices, default,
whether ``jobs.update`` may change it, help text and the ``idm add`` flag.

The engine checks ``jobs.add``/``jobs.probe`` options and ``jobs.update``
patches with ``check_options``/``check_patch``; the CLI builds its flags from
``OPTIONS``; tests/test_declaration.py holds docs/protocol.md, man/idm.1, the
TUI and the engine to this table. To add an option, see docs/internals.md
(Options and parameters).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from idmd.protocol import checks
from idmd.protocol.checks import MAX_URL, bad
from idmd.protocol.jobs import DUPLICATE_ACTIONS, MODES, QUALITIES, START_MODES
from idmd.protocol.models import JobOptions
from idmd.protocol.schedule import parse_when, queue_name


class Kind(StrEnum):
    """How an option's value is checked (and how the CLI takes it)."""

    TEXT = "text"  # a one-line string of at most max_length characters
    FILENAME = "filename"  # text, sanitised into a safe file name
    FOLDER = "folder"  # text, an absolute folder
    INTEGER = "integer"  # low..high
    BOOLEAN = "boolean"
    CHOICE = "choice"  # one of choices
    HEADERS = "headers"  # an object of header names to one-line values
    COOKIES = "cookies"  # a Cookie header string, or an object of names to values
    CHECKSUM = "checksum"  # ALGO=HEX, normalised
    PROXY = "proxy"  # a proxy URL, normalised (idmd.core.proxyurl)
    QUEUE = "queue"  # a queue's name (that the queue exists is the daemon's schedule's check)
    WHEN = "when"  # an ISO 8601 date and time, normalised (no offset: the daemon's local time)


class Update(StrEnum):
    """Whether ``jobs.update`` may change an option."""

    NEVER = "never"
    LIVE = "live"  # also while the job downloads
    STOPPED = "stopped"  # only while the job does not download


@dataclass(frozen=True)
class Flag:
    """The ``idm add`` flag that sets an option."""

    names: tuple[str, ...]  # ("-c", "--connections")
    metavar: str | None = None
    help: str = ""


@dataclass(frozen=True)
class Option:
    name: str
    kind: Kind
    help: str
    flag: Flag
    example: Any  # a valid value, for tests and docs
    default: Any = None  # what a job without the option gets; None: see ``help``
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()
    max_length: int = 4096
    update: Update = Update.NEVER
    sized: bool = False  # an INTEGER of bytes (per second): people type it with a unit, 500K
    secret: bool = False  # kept in the daemon's memory only: never stored, shown or sent in events

    @property
    def json_type(self) -> str:
        """The JSON type a client sends."""
        return {
            Kind.INTEGER: "integer",
            Kind.BOOLEAN: "boolean",
            Kind.HEADERS: "object",
            Kind.COOKIES: "string or object",
        }.get(self.kind, "string")

    @property
    def span(self) -> str:
        """The range or choices as docs/protocol.md writes them: ``1–32``, ``now, queued``."""
        if self.kind is Kind.INTEGER:
            return f"{self.low}–{self.high}"
        return ", ".join(self.choices)

    def check(self, value: Any, path: str) -> Any:
        """The clean value, or InvalidParams naming ``path``."""
        if self.kind is Kind.INTEGER:
            return checks.integer(value, path, self.low, self.high)
        if self.kind is Kind.CHOICE:
            return checks.choice(value, path, self.choices)
        if self.kind is Kind.BOOLEAN:
            return checks.boolean(value, path)
        if self.kind is Kind.HEADERS:
            return checks.headers(value, path)
        if self.kind is Kind.COOKIES:
            return checks.cookies(value, path)
        if self.kind is Kind.CHECKSUM:
            return checks.checksum(value, path)
        if self.kind is Kind.PROXY:
            return checks.proxy(value, path)
        if self.kind is Kind.QUEUE:
            return queue_name(value, path)
        if self.kind is Kind.WHEN:
            when = parse_when(value, path)
            if when is None:
                raise bad(path, "must be an ISO 8601 date and time (e.g. 2026-12-24T22:00)")
            return when.isoformat()
        text = checks.one_line(value, path, self.max_length)
        if self.kind is Kind.FOLDER:
            return checks.folder(text, path)
        return checks.filename(text, path) if self.kind is Kind.FILENAME else text


OPTIONS: tuple[Option, ...] = (
    Option(
        "dir",
        Kind.FOLDER,
        "the folder to download into (default: the daemon's download folder)",
        Flag(("-d", "--dir"), "DIR", "download folder"),
        "/tmp/idm-example",
    ),
    Option(
        "filename",
        Kind.FILENAME,
        "the file name (unsafe characters are replaced)",
        Flag(("-o", "--filename"), "NAME", "file name (one URL)"),
        "example.bin",
        max_length=1024,
        update=Update.STOPPED,
    ),
    Option(
        "connections",
        Kind.INTEGER,
        "connections for this job (default: the config's connections)",
        Flag(("-c", "--connections"), "N", "connections per download (1-32)"),
        4,
        low=1,
        high=32,
        update=Update.LIVE,
    ),
    Option(
        "quality",
        Kind.CHOICE,
        "media quality: the best at most that high, or audio only",
        Flag(("-q", "--quality"), None, "media quality"),
        "720p",
        default="best",
        choices=QUALITIES,
    ),
    Option(
        "format",
        Kind.TEXT,
        "a raw yt-dlp format selection; overrides quality",
        Flag(("--format",), None, "a raw yt-dlp format string (overrides --quality)"),
        "bestvideo+bestaudio",
        max_length=1024,
    ),
    Option(
        "headers",
        Kind.HEADERS,
        "extra request headers, an object of names to values",
        Flag(("-H", "--header"), "'NAME: VALUE'", "extra request header"),
        {"X-Example": "1"},
    ),
    Option(
        "cookies",
        Kind.COOKIES,
        "cookies to send: a Cookie header string or an object of names to values",
        Flag(
            ("--cookies",),
            "FILE|COOKIES",
            "a cookies.txt file (Netscape form, read by idm) or a Cookie header 'NAME=VALUE; ...'",
        ),
        "session=abc",
    ),
    Option(
        "referer",
        Kind.TEXT,
        "the Referer header to send",
        Flag(("--referer",), None, "Referer header"),
        "https://example.org/",
        max_length=MAX_URL,
    ),
    Option(
        "user_agent",
        Kind.TEXT,
        "the User-Agent header to send",
        Flag(("--user-agent",), "TEXT", "User-Agent header"),
        "Example/1.0",
        max_length=1024,
    ),
    Option(
        "checksum",
        Kind.CHECKSUM,
        "verify the finished file: sha256=HEX, sha1=HEX, md5=HEX or sha512=HEX",
        Flag(("--checksum",), "ALGO=HEX", "verify the file (sha256=HEX, sha1, md5 or sha512)"),
        "md5=" + "0" * 32,
    ),
    Option(
        "start",
        Kind.CHOICE,
        "start as soon as a slot is free (now), wait in the queue, or paused",
        Flag(("--start",), None, "now, queued or paused"),
        "paused",
        default="now",
        choices=START_MODES,
    ),
    Option(
        "priority",
        Kind.INTEGER,
        "higher runs first; equal priorities run oldest first",
        Flag(("--priority",), "N", "higher runs first (-1000-1000)"),
        5,
        default=0,
        low=-1000,
        high=1000,
        update=Update.LIVE,
    ),
    Option(
        "on_duplicate",
        Kind.CHOICE,
        "what to do when the file exists (default: the config's on_duplicate)",
        Flag(("--on-duplicate",), None, "when the file exists"),
        "rename",
        choices=DUPLICATE_ACTIONS,
    ),
    Option(
        "mode",
        Kind.CHOICE,
        "auto: decide from the URL and the response; http: a plain file; media: yt-dlp",
        Flag(("--mode",), None, "http, media or auto (default)"),
        "http",
        default="auto",
        choices=MODES,
    ),
    Option(
        "speed_limit",
        Kind.INTEGER,
        "bytes per second for this job, 0: no limit of its own",
        Flag(("--limit", "--speed-limit"), "RATE", "bytes per second (500K, 2M), 0: none"),
        1_000_000,
        default=0,
        low=0,
        high=1 << 40,
        update=Update.LIVE,
        sized=True,
    ),
    Option(
        "playlist",
        Kind.BOOLEAN,
        "a playlist URL becomes one job per entry (true) or fails the job (false)",
        Flag(("--playlist",), None, "a playlist URL: one job per entry (--no-playlist: fail)"),
        False,
        default=True,
    ),
    Option(
        "user",
        Kind.TEXT,
        "the user name for HTTP authentication, Basic or Digest (with password)",
        Flag(("--user",), "USER", "user name (HTTP Basic or Digest authentication)"),
        "alice",
        max_length=1024,
    ),
    Option(
        "password",
        Kind.TEXT,
        "the password for HTTP authentication (Basic or Digest); kept in the daemon's memory only,"
        " never stored or shown",
        Flag(
            ("--password",), "PASSWORD", "password for --user (asked on a terminal when left out)"
        ),
        "secret",
        max_length=1024,
        secret=True,
    ),
    Option(
        "proxy",
        Kind.PROXY,
        "this job's proxy, SCHEME://[USER[:PASSWORD]@]HOST:PORT (http, https, socks4, socks5,"
        " socks5h), or direct (default: the config's proxy, else HTTP_PROXY/HTTPS_PROXY); the"
        " password is kept apart as proxy_password",
        Flag(("--proxy",), "URL", "proxy for this download (socks5://user:pass@host:1080, direct)"),
        "socks5://127.0.0.1:1080",
        max_length=MAX_URL,
        update=Update.STOPPED,
    ),
    Option(
        "proxy_password",
        Kind.TEXT,
        "the password for the proxy's user; kept in the daemon's memory only,"
        " never stored or shown",
        Flag(("--proxy-password",), "PASSWORD", "password for the --proxy user"),
        "secret",
        max_length=1024,
        secret=True,
    ),
    Option(
        "category",
        Kind.TEXT,
        "the category (its folder under the download folder, its after-action) instead of the one"
        " the file's type or site picks: Compressed, Documents, Music, Programs, Video"
        " or a config one",
        Flag(
            ("--category",),
            "NAME",
            "category (folder and after-action; default: from type or site)",
        ),
        "Video",
        max_length=64,
        update=Update.STOPPED,
    ),
    Option(
        "after",
        Kind.TEXT,
        "what to do when the job completes: the name of an action in the config's [actions],"
        " notify (a desktop notification), or none (default: its category's)",
        Flag(
            ("--after",),
            "ACTION",
            "action when completed (config [actions] name, notify, or none)",
        ),
        "none",
        max_length=64,
        update=Update.STOPPED,
    ),
    Option(
        "queue",
        Kind.QUEUE,
        "the named queue the job waits in; it starts only while that queue's schedule is open"
        " (idm queue; default: the default queue)",
        Flag(("--queue",), "NAME", "the queue to wait in (idm queue ls)"),
        "default",
        max_length=32,
        update=Update.LIVE,
    ),
    Option(
        "start_at",
        Kind.WHEN,
        "not before this time: an ISO 8601 date and time"
        " (without an offset, the daemon's local time)",
        Flag(
            ("--start-at",),
            "TIME",
            "not before this time: HH:MM (the next one) or an ISO date and time",
        ),
        "2026-12-24T22:00:00",
        max_length=64,
        update=Update.STOPPED,
    ),
)
BY_NAME: dict[str, Option] = {option.name: option for option in OPTIONS}
UPDATABLE: tuple[str, ...] = tuple(o.name for o in OPTIONS if o.update is not Update.NEVER)
SECRET: frozenset[str] = frozenset(o.name for o in OPTIONS if o.secret)
# Job fields (not options) a ``jobs.update`` patch may also hold: idmd.protocol.params.check_update.
PATCH_FIELDS: tuple[str, ...] = ("url",)


def public(options: Mapping[str, Any]) -> JobOptions:
    """``options`` without the secret ones: what is stored, shown and sent in events."""
    return {k: v for k, v in options.items() if k not in SECRET}  # type: ignore[return-value]


def check_options(
    options: Any, path: str = "options", roots: Iterable[Path] | None = None
) -> JobOptions:
    """A clean copy of ``options`` (None: none); InvalidParams names the first bad one.
    ``roots``: the only folders ``dir`` may be in (a paired client's), None for any."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise bad(path, "must be an object")
    clean: dict[str, Any] = {}
    for key, value in options.items():
        option = BY_NAME.get(key)
        if option is None:
            raise bad(f"{path}.{key}", "unknown option (known: " + ", ".join(BY_NAME) + ")")
        clean[key] = option.check(value, f"{path}.{key}")
    if roots is not None and "dir" in clean:
        clean["dir"] = checks.confined(clean["dir"], f"{path}.dir", roots)
    if roots is not None and "proxy" in clean:
        # Kept credentials would go through it: the proxy is the owner's choice (config.set too).
        raise bad(f"{path}.proxy", "a paired client may not choose a proxy")
    return cast(JobOptions, clean)  # every key and value was checked against BY_NAME


def check_patch(patch: Any) -> JobOptions:
    """A ``jobs.update`` patch: at least one option, each one ``jobs.update`` may change."""
    known = ", ".join((*UPDATABLE, *PATCH_FIELDS))
    if not isinstance(patch, Mapping) or not patch:
        raise bad("patch", "must change at least one of " + known)
    for key in patch:
        if key not in UPDATABLE and key not in PATCH_FIELDS:
            raise bad(f"patch.{key}", "cannot be changed (only " + known + ")")
    return check_options({k: v for k, v in patch.items() if k not in PATCH_FIELDS}, "patch")
