"""``idm add --cookies FILE``: a Netscape cookies.txt (what wget, curl and yt-dlp
read, and browser add-ons export) turned into the cookies one URL gets.

Read on the client's side: the daemon never opens a user's cookie file, it gets
the cookies of each URL as the ``cookies`` option. The lines are read here (the
header line that Python's MozillaCookieJar insists on is optional, as for wget);
the standard CookieJar then picks the cookies by domain, path, ``secure`` and
expiry as a browser would.
"""

from __future__ import annotations

import time
import urllib.request
from http.cookiejar import Cookie, CookieJar

HTTPONLY = "#HttpOnly_"  # curl and browsers mark HttpOnly cookies by this prefix


class CookieFileError(ValueError):
    """A line that is not a cookie of a Netscape cookies.txt; the message names its number."""


def parse(text: str, now: float | None = None) -> CookieJar:
    """The cookies of a cookies.txt: ``domain  flag  path  secure  expires  name  value``,
    tab-separated; expired ones are left out (``expires`` 0: a session cookie, kept)."""
    jar = CookieJar()
    now = time.time() if now is None else now
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip("\r\n")
        if line.startswith(HTTPONLY):
            line = line[len(HTTPONLY) :]
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) == 6:  # an empty value lost its tab
            fields.append("")
        if len(fields) != 7:
            raise CookieFileError(
                f"line {number}: expected 7 tab-separated fields "
                "(domain, subdomains, path, secure, expires, name, value)"
            )
        domain, _, path, secure, expires, name, value = fields
        try:
            expiry = int(expires)
        except ValueError:
            raise CookieFileError(
                f"line {number}: expires must be a number, not {expires!r}"
            ) from None
        if expiry and expiry < now:
            continue
        jar.set_cookie(
            Cookie(
                0,
                name,
                value,
                None,
                False,
                domain,
                bool(domain),
                domain.startswith("."),
                path or "/",
                bool(path),
                secure.upper() == "TRUE",
                expiry or None,
                not expiry,
                None,
                None,
                {},
            )
        )
    return jar


def cookie_header(jar: CookieJar, url: str) -> str | None:
    """The Cookie header ``url`` gets from ``jar`` (None: no cookie matches)."""
    request = urllib.request.Request(url)
    jar.add_cookie_header(request)
    return request.unredirected_hdrs.get("Cookie")  # where add_cookie_header puts it
