"""The TLS context of downloads, built when downloads need it, not while idmd starts.

aiohttp builds two TLS contexts when it is imported, and each loads the whole
CA bundle (``SSL_CERT_FILE``, or OpenSSL's default file, which on Debian is
the same ca-certificates bundle): about 50 ms apiece, 0.1 s of a start-up
whose target is 0.5 s. So the daemon imports aiohttp with both CA variables
pointing at an empty file (``bundle_unread``): those two contexts trust
nothing, and nothing of the engine uses them. Every connector it makes is
given ``client_context()`` instead, which trusts what the variables (or
OpenSSL's defaults) name when it is built: in a thread a moment after idmd
started (``Sessions.warm``), or at the first download if that comes sooner.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

log = logging.getLogger(__name__)
CA_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def client_context() -> ssl.SSLContext:
    """The verifying context for downloads, trusting what the CA variables name now."""
    return _context_for(tuple(os.environ.get(name) for name in CA_VARIABLES))


@lru_cache(maxsize=4)
def _context_for(_variables: tuple[str | None, ...]) -> ssl.SSLContext:
    context = ssl.create_default_context()  # reads SSL_CERT_FILE / SSL_CERT_DIR
    context.set_alpn_protocols(("http/1.1",))  # as aiohttp's own: it speaks HTTP/1.1 only
    return context


def warm() -> None:
    """Build the context now (blocking: run it in a thread), so no download waits for it."""
    try:
        client_context()
    except (ssl.SSLError, OSError) as exc:  # the first HTTPS download will say what is wrong
        log.warning("cannot load the CA certificates for downloads: %s", exc)


@contextmanager
def bundle_unread() -> Iterator[None]:
    """For importing aiohttp only: its import-time contexts then load no bundle. A
    connector made without ``client_context()`` would trust no server (it fails closed)."""
    saved = {name: os.environ.get(name) for name in CA_VARIABLES}
    os.environ.update(dict.fromkeys(CA_VARIABLES, os.devnull))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
