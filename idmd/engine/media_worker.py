"""The media worker: the only module that imports yt_dlp (``python -m idmd.engine.media_worker``).

It reads JSON requests on stdin and writes JSON lines on stdout (info,
progress, log, alive, then result or error), so yt-dlp's weight, hangs and
crashes stay out of the daemon; the protocol is in docs/internals.md ("Media").
Started ahead of need, it warms yt-dlp up while it waits (the first
extraction compiles some 1,800 URL patterns), and after a probe it waits for
the next request, so the daemon keeps one warm worker instead of paying a
cold one per request.
"""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import sys
import threading
import time
from typing import IO, Any
from urllib.parse import urlsplit

import yt_dlp
from yt_dlp.networking import Request
from yt_dlp.utils import DownloadCancelled, DownloadError, UnsupportedError

from idmd.core.formats import info_summary

PROGRESS_EVERY = 0.2  # seconds between progress lines; the daemon coalesces anyway
STOP_WITHIN = 1.0  # seconds after SIGTERM before the worker exits even if yt-dlp is stuck
INFO_MAX = 2 * 1024 * 1024  # a probe hands its info dict over only below this size (JSON bytes)
WARM_PAGE = (
    b'<html><head><title>warm</title></head><body><video src="/warm.mp4"></video></body></html>'
)


class Channel:
    """JSON lines to the daemon on a private copy of stdout.

    fd 1 is pointed at stderr so nothing yt-dlp or ffmpeg prints can corrupt
    the protocol.
    """

    def __init__(self) -> None:
        self._out: IO[str] = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        os.dup2(2, 1)
        self._lock = threading.Lock()

    def send(self, type_: str, **data: Any) -> None:
        line = json.dumps({"type": type_, **data}, default=str, ensure_ascii=False)
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()


class Logger:
    """yt-dlp's logger: warnings and errors become log lines; the last error is kept."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.last_error: str | None = None

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        self.channel.send("log", level="warning", message=_clean(msg))

    def error(self, msg: str) -> None:
        self.last_error = _clean(msg)
        self.channel.send("log", level="error", message=self.last_error)


def _clean(msg: str) -> str:
    return msg.removeprefix("ERROR: ").removeprefix("WARNING: ").strip()


def error_kind(message: str) -> str:
    """A coarse class of a yt-dlp error, so the runner knows whether to retry."""
    text = message.lower()
    if "unsupported url" in text or "no video formats found" in text:
        return "unsupported"
    if any(p in text for p in ("in your country", "geo restrict", "geo-restrict", "geoblock")):
        return "geo"
    if any(
        p in text for p in ("confirm your age", "age-restricted", "age restricted", "age-gated")
    ):
        return "age"
    if any(
        p in text
        for p in ("sign in", "log in", "login", "--cookies", "members-only", "private video")
    ):
        return "login"
    if "http error 4" in text:  # the server said no; asking again will not change that
        return "other"
    network = (
        "timed out",
        "connection",
        "temporary failure",
        "unable to download",
        "unable to continue",
        "http error 5",
    )
    if any(word in text for word in network):
        return "network"
    return "other"


def chosen_summary(ydl: yt_dlp.YoutubeDL, info: dict[str, Any]) -> dict[str, Any]:
    """What the format selection picked, and the direct URL when no merge is needed."""
    chosen = info.get("requested_formats") or [info]
    summary: dict[str, Any] = {
        "format": info.get("format_id"),
        "ext": info.get("ext"),
        "height": max((f.get("height") or 0 for f in chosen), default=0) or None,
        "has_audio": any(f.get("acodec") not in ("none",) for f in chosen),
        "size": _sum_sizes(chosen),
        "direct": None,
    }
    if len(chosen) == 1 and chosen[0].get("protocol") in ("http", "https") and chosen[0].get("url"):
        fmt = chosen[0]
        headers = dict(fmt.get("http_headers") or {})
        cookie = ydl.cookiejar.get_cookie_header(fmt["url"])
        if cookie:
            headers["Cookie"] = cookie
        summary["direct"] = {"url": fmt["url"], "headers": headers}
    return summary


def _sum_sizes(formats: list[dict[str, Any]]) -> int | None:
    sizes = [int(f.get("filesize") or f.get("filesize_approx") or 0) for f in formats]
    return sum(sizes) if sizes and all(sizes) else None


class Progress:
    """Turns yt-dlp's per-file hooks into one job-wide progress line, rate-limited.

    DASH downloads video and audio one after the other; the job's done and
    total add both, with the size estimates of the formats not started yet.
    A thread sends the latest state every PROGRESS_EVERY, so the last bytes
    before a hang are reported too, and nothing is sent while nothing moves.
    """

    def __init__(self, channel: Channel, stop: threading.Event) -> None:
        self.channel = channel
        self.stop = stop
        self.expected: dict[str, int | None] = {}
        self.files: dict[str, tuple[int, int | None]] = {}
        self._latest: dict[str, Any] | None = None
        self._lock = threading.Lock()
        threading.Thread(target=self._emitter, daemon=True).start()

    def hook(self, d: dict[str, Any]) -> None:
        if self.stop.is_set():
            raise DownloadCancelled("paused")
        info = d.get("info_dict") or {}
        key = str(info.get("format_id") or d.get("filename"))
        total = d.get("total_bytes") or d.get("total_bytes_estimate")
        done = int(
            d.get("downloaded_bytes") or (total if d.get("status") == "finished" else 0) or 0
        )
        with self._lock:
            self.files[key] = (done, int(total) if total else None)
            totals = [t for _, t in self.files.values()]
            whole = totals + [s for k, s in self.expected.items() if k not in self.files]
            self._latest = {
                "downloaded": sum(d for d, _ in self.files.values()),
                "total": int(sum(t for t in whole if t)) if all(whole) else None,
                "speed": d.get("speed"),
                "eta": d.get("eta"),
                "fragment_index": d.get("fragment_index"),
                "fragment_count": d.get("fragment_count"),
                "status": d.get("status"),
            }
        if d.get("status") == "finished":
            self.flush()

    def flush(self) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
        if latest is not None:
            self.channel.send("progress", **latest)

    def _emitter(self) -> None:
        while True:
            time.sleep(PROGRESS_EVERY)
            self.flush()


def ydl_params(request: dict[str, Any], logger: Logger) -> dict[str, Any]:
    headers = dict(request.get("headers") or {})
    params: dict[str, Any] = {
        "logger": logger,
        "quiet": True,
        "no_warnings": False,
        "noprogress": True,
        "http_headers": headers,
        "socket_timeout": float(request.get("socket_timeout", 20)),
        "retries": int(request.get("retries", 3)),
        "fragment_retries": int(request.get("retries", 3)),
        "continuedl": True,
        # A missing fragment is an error, never a silently shorter file.
        "skip_unavailable_fragments": False,
        "nopart": False,
        "overwrites": False,
        "color": "no_color",
    }
    if request.get("format"):
        params["format"] = request["format"]
    if request.get("ffmpeg"):
        params["ffmpeg_location"] = request["ffmpeg"]
    if request.get("proxy") is not None:
        params["proxy"] = request["proxy"]  # the job's, the config's or "" (direct)
    params["extract_flat"] = "in_playlist"  # a playlist's entries are listed, not resolved
    # A video that also names a playlist (watch?v=…&list=…) is the video when downloading.
    params["noplaylist"] = request.get("mode") != "probe"
    return params


def scope_auth(ydl: yt_dlp.YoutubeDL, auth: Any) -> None:
    """The job's credentials as HTTP Basic on every request yt-dlp makes to their host, and
    on no other (a CDN serving the fragments never sees them), as the plain engine sends
    them (idmd/engine/http/auth.py). Every page, manifest, fragment and file request of
    yt-dlp goes through ``YoutubeDL.urlopen``; yt-dlp's ``username``/``password`` are an
    extractor's site login, not HTTP authentication, and ``http_headers`` go to every host."""
    if not isinstance(auth, dict) or not auth.get("user"):
        return
    pair = f"{auth['user']}:{auth.get('password') or ''}".encode()
    value = "Basic " + base64.b64encode(pair).decode("ascii")
    host = str(auth.get("host") or "").lower()
    urlopen = ydl.urlopen

    def with_auth(req: Any) -> Any:
        if isinstance(req, str):
            req = Request(req)
        if (
            isinstance(req, Request)
            and (urlsplit(req.url).hostname or "").lower() == host
            and "Authorization" not in req.headers  # the job's own header wins
        ):
            req.headers["Authorization"] = value
        return urlopen(req)

    ydl.urlopen = with_auth  # type: ignore[method-assign]


def run(request: dict[str, Any], channel: Channel) -> int:
    mode = request.get("mode")
    logger = Logger(channel)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: _stop_soon(stop))
    params = ydl_params(request, logger)
    progress = Progress(channel, stop) if mode == "download" else None
    if progress is not None:
        params.update(
            paths={"home": request["dir"], "temp": request["temp_dir"]},
            outtmpl={"default": request["outtmpl"]},
            progress_hooks=[progress.hook],
            postprocessor_hooks=[_pp_hook(channel, float(request.get("alive_every", 5.0)))],
            concurrent_fragment_downloads=int(request.get("fragments", 4)),
            merge_output_format=request.get("merge_format") or None,
        )
    try:
        with yt_dlp.YoutubeDL(params) as ydl:
            scope_auth(ydl, request.get("auth"))
            handed = request.get("info")
            if isinstance(handed, dict):
                # Extracted at add time: only the format
                # selection runs again, no request to the site.
                info = ydl.process_ie_result(handed, download=False)
            else:
                info = ydl.extract_info(request["url"], download=False)
            if info.get("_type") in ("playlist", "multi_video"):
                channel.send("result", **info_summary(info))  # the runner makes one job per entry
                return 0
            summary = {**info_summary(info), "chosen": chosen_summary(ydl, info)}
            if mode == "probe":
                channel.send("result", **summary, info=_handover(ydl, info))
                return 0
            channel.send("info", **summary)
            if request.get("direct_ok") and summary["chosen"]["direct"]:
                # One file at a plain URL: the daemon's segmented engine fetches it faster.
                channel.send("result", handoff=True, **summary)
                return 0
            assert progress is not None
            chosen = info.get("requested_formats") or [info]
            progress.expected = {
                str(f.get("format_id")): f.get("filesize") or f.get("filesize_approx")
                for f in chosen
            }
            info = ydl.process_ie_result(info, download=True)
            path = (info.get("requested_downloads") or [{}])[0].get("filepath") or info.get(
                "filepath"
            )
            if not path or not os.path.exists(path):
                raise DownloadError(logger.last_error or "yt-dlp finished without a file")
            channel.send(
                "result", **{**summary["chosen"], "path": path, "size": os.path.getsize(path)}
            )
            return 0
    except DownloadCancelled:
        channel.send("error", kind="paused", message="stopped")
        return 3
    except (DownloadError, UnsupportedError, yt_dlp.utils.ExtractorError) as exc:
        message = logger.last_error or _clean(str(exc))
        channel.send("error", kind=error_kind(message), message=message)
        return 1
    except Exception as exc:  # noqa: BLE001 - a post-processor or yt-dlp bug: still one clear line
        message = logger.last_error or f"{type(exc).__name__}: {_clean(str(exc))}"
        channel.send("error", kind="other", message=message)
        return 1


def _stop_soon(stop: threading.Event) -> None:
    """SIGTERM: stop at the next progress hook, or in a second if none comes (a read that hangs)."""
    stop.set()
    timer = threading.Timer(STOP_WITHIN, os._exit, (3,))
    timer.daemon = True
    timer.start()


def _pp_hook(channel: Channel, every: float) -> Any:
    """Logs each post-processing step and keeps saying "alive" while ffmpeg runs."""
    busy = threading.Event()

    def beat() -> None:
        while busy.wait() and busy.is_set():
            channel.send("alive")
            time.sleep(every)

    threading.Thread(target=beat, daemon=True).start()

    def hook(d: dict[str, Any]) -> None:
        if d.get("status") == "started":
            channel.send("log", level="info", message=f"post-processing: {d.get('postprocessor')}")
            busy.set()
        else:
            busy.clear()

    return hook


def _die_with_parent() -> None:
    """Linux: SIGTERM when the daemon dies, so no orphan keeps downloading."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the broken stdout pipe ends the worker instead


def _handover(ydl: yt_dlp.YoutubeDL, info: dict[str, Any]) -> dict[str, Any] | None:
    """The info dict as JSON for a later download
    request (what ``--load-info-json`` reads), if small."""
    clean = ydl.sanitize_info(info, remove_private_keys=True)
    return clean if len(json.dumps(clean, default=str)) <= INFO_MAX else None


def warm_up() -> None:
    """One extraction of a page on a private loopback
    server, so the first real one finds yt-dlp warm.

    Public API only: whatever yt-dlp caches on first use (URL patterns, the
    generic extractor's embed detection, format selection) is cached here.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(WARM_PAGE)))
            self.end_headers()
            self.wfile.write(WARM_PAGE)

        def log_message(self, *args: Any) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Page) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        params = {
            "quiet": True,
            "no_warnings": True,
            "noprogress": True,
            "proxy": "",
            "logger": _Silent(),
            "extract_flat": "in_playlist",
            "noplaylist": True,
            "socket_timeout": 5,
        }
        try:
            with yt_dlp.YoutubeDL(params) as ydl:
                ydl.extract_info(f"http://127.0.0.1:{server.server_port}/warm.html", download=False)
        except Exception:  # noqa: BLE001, S110
            # warming is best effort; a real request still works cold
            pass
        finally:
            server.shutdown()


class _Silent:
    def debug(self, msg: str) -> None:
        pass

    info = warning = error = debug


def _request_waiting() -> bool:
    return bool(select.select([sys.stdin], [], [], 0)[0])


def main() -> int:
    _die_with_parent()
    channel = Channel()
    if not _request_waiting():
        warm_up()  # nobody waits yet: spend the idle time so the first request does not pay it
    while True:
        line = sys.stdin.readline()
        if not line:
            return 0  # the daemon closed the pipe: nothing more to do
        try:
            request = json.loads(line)
            if not isinstance(request, dict) or request.get("mode") not in ("probe", "download"):
                raise ValueError("expected one JSON object with mode probe or download")
        except ValueError as exc:
            channel.send("error", kind="request", message=str(exc))
            return 2
        code = run(request, channel)
        if request["mode"] != "probe" or code not in (0, 1):
            return code  # a download leaves threads and files behind: its worker is not reused
        # After a probe the worker is clean and warm: it waits for the next request.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


if __name__ == "__main__":
    sys.exit(main())
