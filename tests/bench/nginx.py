"""Debian's nginx on 127.0.0.1 with a generated config, for the benchmarks.

Serves a folder over HTTP and, optionally, the same server again through the
stream module with ``proxy_download_rate`` per connection (a server that caps
each TCP connection, which is what makes more connections faster), and over
HTTPS with a given certificate (``tests.certs.self_signed`` makes one). nginx
cannot listen on port 0, so free ports are found by binding a socket first.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")


def free_port() -> int:
    """A port nothing listens on right now (nginx gets it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Nginx:
    root: Path
    port: int
    throttled_port: int | None
    process: subprocess.Popen[bytes]
    tls_port: int | None = None

    def url(self, name: str, *, throttled: bool = False, tls: bool = False) -> str:
        if tls:
            if self.tls_port is None:
                raise ValueError("this nginx was started without a certificate")
            return f"https://127.0.0.1:{self.tls_port}/{name}"
        port = self.throttled_port if throttled else self.port
        if port is None:
            raise ValueError("this nginx was started without download_rate")
        return f"http://127.0.0.1:{port}/{name}"


def config(
    root: Path,
    work: Path,
    port: int,
    throttled: tuple[int, str] | None,
    tls: tuple[int, Path, Path] | None = None,
) -> str:
    """nginx.conf text: static files from ``root`` on ``port``; with ``throttled``
    (port, rate), a stream proxy in front of it capping each connection; with
    ``tls`` (port, certificate, key), the same files over HTTPS."""
    temp = "\n".join(
        f"    {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    lines = [
        f"load_module {STREAM_MODULE};" if throttled else "",
        # As root, workers would run as nobody and could not read a 0700 temp dir.
        "user root;" if os.geteuid() == 0 else "",
        "daemon off;",
        "worker_processes 1;",
        f"pid {work / 'nginx.pid'};",
        f"error_log {work / 'error.log'} warn;",
        "events { worker_connections 1024; }",
        "http {",
        "    access_log off;",
        "    sendfile on;",
        "    tcp_nopush on;",
        "    keepalive_requests 10000;",
        "    default_type application/octet-stream;",
        temp,
        f"    server {{ listen 127.0.0.1:{port}; root {root}; }}",
        (
            f"    server {{ listen 127.0.0.1:{tls[0]} ssl; root {root}; "
            f"ssl_certificate {tls[1]}; ssl_certificate_key {tls[2]}; }}"
            if tls
            else ""
        ),
        "}",
    ]
    if throttled:
        lines += [
            "stream {",
            "    server {",
            f"        listen 127.0.0.1:{throttled[0]};",
            f"        proxy_pass 127.0.0.1:{port};",
            f"        proxy_download_rate {throttled[1]};",
            "    }",
            "}",
        ]
    return "\n".join(line for line in lines if line) + "\n"


def _wait_listening(
    port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 10.0
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"nginx exited: {log.read_text(errors='replace') if log.exists() else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not listen on {port}") from None
            time.sleep(0.01)  # polling a condition with a deadline


@contextmanager
def nginx(
    root: Path,
    work: Path,
    *,
    download_rate: str | None = None,
    certificate: tuple[Path, Path] | None = None,
) -> Iterator[Nginx]:
    """Run nginx serving ``root`` until the block ends; skips when nginx (or its
    stream module, when ``download_rate`` is given) is not installed."""
    binary = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if binary is None:
        pytest.skip("nginx is not installed (CI installs it)")
    if download_rate and not STREAM_MODULE.exists():
        pytest.skip(
            f"nginx's stream module is not installed ({STREAM_MODULE}: libnginx-mod-stream)"
        )
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    throttled = (free_port(), download_rate) if download_rate else None
    conf = work / "nginx.conf"
    tls = (free_port(), *certificate) if certificate else None
    conf.write_text(config(root, work, port, throttled, tls))
    process = subprocess.Popen(
        [binary, "-p", str(work), "-c", str(conf), "-e", str(work / "error.log")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_listening(port, process, work / "error.log")
        for extra in (throttled, tls):
            if extra:
                _wait_listening(extra[0], process, work / "error.log")
        yield Nginx(
            root, port, throttled[0] if throttled else None, process, tls[0] if tls else None
        )
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
