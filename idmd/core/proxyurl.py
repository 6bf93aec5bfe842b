"""Proxy URLs: which one a request takes, and how one is shown without its password.

A job's own ``proxy`` option wins over the config's ``proxy`` (which ``no_proxy``
bypasses); with neither, the environment's ``HTTP_PROXY``/``HTTPS_PROXY``/
``ALL_PROXY``/``NO_PROXY`` apply, read here rather than by aiohttp's
``trust_env`` (which would also apply ~/.netrc behind the engine's back) so
that yt-dlp is handed the same proxy. Pure: the environment's proxies are
handed in; the sessions that carry the requests are idmd.engine.sessions's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

SCHEMES = ("http", "https", "socks4", "socks5", "socks5h")
SOCKS = frozenset({"socks4", "socks5", "socks5h"})
DIRECT = "direct"  # a job's ``proxy``: no proxy at all, not even the config's or the environment's
DEFAULT_PORTS = {"http": 80, "https": 443}  # SOCKS: 1080, as curl
MASK = "***"


class ProxyUrlError(ValueError):
    """Not a proxy URL idm can use; the message says why."""


@dataclass(frozen=True)
class Route:
    """How a request goes out: through ``proxy`` (a checked URL), or ``DIRECT``."""

    proxy: str = DIRECT

    @property
    def direct(self) -> bool:
        return self.proxy == DIRECT

    @property
    def for_ytdlp(self) -> str:
        """yt-dlp's ``proxy``: the URL, or "" for none."""
        return "" if self.direct else self.proxy


def check_proxy(value: str) -> str:
    """``value`` normalised (``scheme://[user[:password]@]host:port``), or ProxyUrlError."""
    value = value.strip()
    if value == DIRECT:
        return value
    parts = urlsplit(value if "://" in value else f"http://{value}")
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ProxyUrlError(
            f"a proxy URL starts with {', '.join(s + '://' for s in SCHEMES)} (or is {DIRECT!r})"
        )
    try:
        port = parts.port
    except ValueError:
        raise ProxyUrlError("the proxy's port must be 1..65535") from None
    if not parts.hostname:
        raise ProxyUrlError("a proxy URL names a host: http://HOST:PORT")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ProxyUrlError("a proxy URL is scheme://[user:password@]host:port, without a path")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{host}:{port or DEFAULT_PORTS.get(scheme, 1080)}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    return urlunsplit((scheme, netloc, "", "", ""))


def address(proxy: str) -> str:
    """``scheme://host:port``: how errors and logs name a proxy (never its user or password)."""
    parts = urlsplit(proxy)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def masked(proxy: str) -> str:
    """The proxy with its password replaced by ``***`` (what ``config.get`` shows)."""
    parts = urlsplit(proxy)
    if parts.password is None:
        return proxy
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{MASK}@{host}"))


def split_password(proxy: str) -> tuple[str, str | None]:
    """``socks5://u:p@h:1`` -> (``socks5://u@h:1``, ``p``): the password is kept apart."""
    parts = urlsplit(proxy)
    if parts.password is None:
        return proxy, None
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}@{host}")), unquote(parts.password)


def with_password(proxy: str, password: str | None) -> str:
    """The proxy URL with ``password`` put back (kept apart by ``split_password``)."""
    parts = urlsplit(proxy)
    if password is None or parts.username is None:
        return proxy
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{quote(password, safe='')}@{host}"))


def with_user(proxy: str, user: str, password: str) -> str:
    """``proxy`` (``host:port`` or a URL) with ``user`` and ``password`` in it, quoted."""
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    host = parts.netloc.rpartition("@")[2]
    userinfo = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def bypassed(url: str, no_proxy: Iterable[str]) -> bool:
    """Whether ``url``'s host is in ``no_proxy``, matched as curl matches ``NO_PROXY``:
    ``*`` (every host), ``example.org`` or ``.example.org`` (it and its subdomains),
    ``host:port``, an IP address or a network (``10.0.0.0/8``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        port = None
    return any(_matches(entry.strip().lower(), host, port) for entry in no_proxy)


def _matches(entry: str, host: str, port: int | None) -> bool:
    if not entry:
        return False
    if entry == "*":
        return True
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry.strip("[]"), strict=False)
    except ValueError:
        pass  # not an address and a network: names
    name, _, wanted = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
    if wanted and (not wanted.isdigit() or int(wanted) != port):
        return False
    name = name.lstrip(".").rstrip(".")
    return host == name or host.endswith("." + name)


def route(
    url: str,
    job_proxy: str | None,
    config_proxy: str,
    no_proxy: Iterable[str],
    environment: Mapping[str, str] | None = None,
) -> Route:
    """The job's proxy, else the config's unless ``no_proxy`` names the host, else the
    environment's (``environment``: ``urllib.request.getproxies()``, scheme -> URL, ``no``)."""
    if job_proxy:
        return Route(job_proxy)
    if config_proxy:
        return Route(DIRECT) if bypassed(url, no_proxy) else Route(check_proxy(config_proxy))
    env = environment or {}
    scheme = urlsplit(url).scheme.lower()
    wanted = env.get(scheme) or env.get("all")
    if not wanted or bypassed(url, env.get("no", "").split(",")):
        return Route(DIRECT)
    try:
        return Route(check_proxy(wanted))
    except ProxyUrlError:
        return Route(DIRECT)  # as curl: a proxy variable that is not a URL is not used
