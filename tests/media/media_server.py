"""Test media made with ffmpeg and an aiohttp server on 127.0.0.1 that serves it.

The server runs in its own thread and loop so one instance serves a whole
session; it honours Range, logs every request, can hold a response at a
byte offset until a test opens the gate, and can cap each connection's rate.
``expiring.html`` embeds a URL with a token that only the newest page view
(or ``expire()``) replaces, like a site whose media URLs expire.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

CHUNK = 16 * 1024
FFMPEG = ["ffmpeg", "-v", "error", "-y", "-nostdin"]
TYPES = {
    ".mp4": "video/mp4",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".html": "text/html",
}


def _ffmpeg(*args: str) -> None:
    subprocess.run([*FFMPEG, *args], check=True, capture_output=True, timeout=120)


def make_media(root: Path) -> None:
    """A 2 s MP4, a 1 MiB MP4, HLS (360p + 720p), DASH (360p + 720p + audio), HTML pages."""
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:duration=3"]
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-c:a", "aac", "-b:a", "32k"]
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=640x360:rate=15:duration=2",
        *tone,
        "-shortest",
        *x264,
        "-b:v",
        "80k",
        "-movflags",
        "+faststart",
        str(root / "video.mp4"),
    )
    # Noise does not compress: a file big enough to pause in the middle of.
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "nullsrc=s=320x180:r=15:d=3,geq=random(1)*255:128:128",
        *tone,
        "-shortest",
        *x264,
        "-b:v",
        "3M",
        "-maxrate",
        "3M",
        "-bufsize",
        "1M",
        str(root / "big.mp4"),
    )
    split = "[0:v]split=2[a][b];[a]scale=640:360[v360];[b]null[v720]"
    src = [
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=1280x720:rate=15:duration=3",
        *tone,
        "-filter_complex",
        split,
    ]
    rates = ["-b:v:0", "60k", "-b:v:1", "150k"]
    (root / "hls").mkdir()
    _ffmpeg(
        *src,
        "-map",
        "[v360]",
        "-map",
        "[v720]",
        "-map",
        "1:a",
        "-map",
        "1:a",
        *x264,
        *rates,
        "-f",
        "hls",
        "-hls_time",
        "1",
        "-hls_playlist_type",
        "vod",
        "-var_stream_map",
        "v:0,a:0 v:1,a:1",
        "-master_pl_name",
        "master.m3u8",
        "-hls_segment_filename",
        str(root / "hls" / "v%v_%03d.ts"),
        str(root / "hls" / "v%v.m3u8"),
    )
    (root / "dash").mkdir()
    _ffmpeg(
        *src,
        "-map",
        "[v360]",
        "-map",
        "[v720]",
        "-map",
        "1:a",
        *x264,
        *rates,
        "-f",
        "dash",
        "-seg_duration",
        "1",
        "-use_template",
        "1",
        "-use_timeline",
        "0",
        "-adaptation_sets",
        "id=0,streams=v id=1,streams=a",
        str(root / "dash" / "manifest.mpd"),
    )
    pages = {
        "page.html": '<video controls src="/f/video.mp4"></video>',
        "big.html": '<video controls src="/gate/big.mp4"></video>',
        "hls.html": (
            '<video controls><source src="/f/hls/master.m3u8" type="application/x-mpegURL"></video>'
        ),
        "two.html": '<video src="/f/video.mp4"></video><video src="/f/big.mp4"></video>',
        "nothing.html": "<p>no media here</p>",
    }
    for name, body in pages.items():
        title = name.removesuffix(".html").capitalize() + " video"
        html = f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"
        (root / name).write_text(html)


@dataclass
class MediaServer:
    root: Path
    gate_at: int = 256 * 1024  # /gate/ responses stop here until the gate opens
    hold: str = "_002"  # /hold/ files whose path has this wait for the gate (HLS's third segment)
    rate: int = 0  # /slow/ responses: bytes per second per connection
    token: int = 0  # /t/ responses need ?token= this (expiring.html hands out a new one per view)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    # (time.perf_counter(), path) as each file response
    # starts its body: when media bytes first flowed.
    bodies: list[tuple[float, str]] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _gate: asyncio.Event | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def ranges(self, path: str) -> list[str | None]:
        return [r for p, r in list(self.requests) if p == path]

    def expire(self) -> None:
        """Every token handed out so far stops working."""
        self.token += 1

    def set_gate(self, is_open: bool) -> None:
        assert self._loop is not None and self._gate is not None
        self._loop.call_soon_threadsafe(self._gate.set if is_open else self._gate.clear)

    def start(self) -> MediaServer:
        threading.Thread(target=self._serve, daemon=True, name="media-server").start()
        if not self._ready.wait(10):
            raise RuntimeError("media server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    def _serve(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        self._gate = asyncio.Event()
        app = web.Application()
        app.router.add_get("/{mode:f|gate|hold|slow|t}/{path:.+}", self._file)
        app.router.add_get("/{path:[^/]+\\.html}", self._page)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    async def _page(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, None))
        if request.match_info["path"] == "expiring.html":
            self.token += 1
            video = f'<video src="/t/video.mp4?token={self.token}"></video>'
            page = (
                "<!doctype html><html><head><title>Expiring video</title></head>"
                f"<body>{video}</body></html>"
            )
            return web.Response(text=page, content_type="text/html")
        path = self.root / request.match_info["path"]
        if not path.is_file():
            raise web.HTTPNotFound()
        return web.Response(body=path.read_bytes(), content_type="text/html")

    async def _file(self, request: web.Request) -> web.StreamResponse:
        mode, rel = request.match_info["mode"], request.match_info["path"]
        self.requests.append((request.path, request.headers.get("Range")))
        if mode == "t" and request.query.get("token") != str(self.token):
            raise web.HTTPForbidden(text="this link has expired")
        path = (self.root / rel).resolve()
        if self.root.resolve() not in path.parents or not path.is_file():
            raise web.HTTPNotFound()
        data = path.read_bytes()
        start, end = 0, len(data)
        status = 200
        spec = request.headers.get("Range", "")
        if spec.startswith("bytes="):
            first, _, last = spec[6:].split(",")[0].partition("-")
            start = int(first or 0)
            end = min(int(last) + 1, len(data)) if last else len(data)
            if start >= len(data):
                raise web.HTTPRequestRangeNotSatisfiable(
                    headers={"Content-Range": f"bytes */{len(data)}"}
                )
            status = 206
        response = web.StreamResponse(status=status)
        response.content_type = TYPES.get(path.suffix, "application/octet-stream")
        response.content_length = end - start
        response.headers["Accept-Ranges"] = "bytes"
        response.headers["ETag"] = f'"{len(data)}"'
        if status == 206:
            response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
        if mode == "hold" and self.hold in rel:
            assert self._gate is not None
            await self._gate.wait()
        await response.prepare(request)
        self.bodies.append((time.perf_counter(), request.path))
        pos = start
        while pos < end:
            if mode == "gate" and pos >= self.gate_at:
                assert self._gate is not None
                await self._gate.wait()
            stop = min(end, pos + CHUNK)
            if mode == "gate" and pos < self.gate_at:
                stop = min(stop, self.gate_at)
            await response.write(data[pos:stop])
            if mode == "slow" and self.rate:
                await asyncio.sleep((stop - pos) / self.rate)
            pos = stop
        await response.write_eof()
        return response
