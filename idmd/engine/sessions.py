"""The engine's HTTP sessions: one per way out (direct, each proxy).

A session keeps its connections for reuse, so every job through the same
proxy shares one. HTTP and HTTPS proxies are aiohttp's own (``proxy=``);
SOCKS proxies take aiohttp-socks's connector, which a session is built on.
Which route a request takes is idmd.core.proxyurl's decision. Every connector
verifies TLS with ``idmd.engine.tls``'s context, never aiohttp's own.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.request import getproxies

import aiohttp

from idmd.config import Config
from idmd.core.proxyurl import SOCKS, Route, route, with_password
from idmd.engine import tls

DNS_CACHE = 60  # seconds


class Sessions:
    def __init__(self) -> None:
        self._sessions: dict[Route, aiohttp.ClientSession] = {}
        self._warming: asyncio.TimerHandle | None = None

    def warm(self, after: float) -> None:
        """Build the TLS context ``after`` seconds from now, in a thread (it loads the CA
        bundle): after the daemon's start-up, and before its first download needs it."""
        loop = asyncio.get_running_loop()
        self._warming = loop.call_later(after, loop.run_in_executor, None, tls.warm)

    def get(self, route: Route) -> aiohttp.ClientSession:
        """The open session for ``route``, made on first use."""
        session = self._sessions.get(route)
        if session is None or session.closed:
            session = self._sessions[route] = _make(route)
        return session

    async def close(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


def job_route(url: str, options: Mapping[str, Any], config: Config) -> Route:
    """The way out for ``url`` of a job with ``options`` (its password put back in)."""
    own = options.get("proxy")
    if own:
        own = with_password(str(own), options.get("proxy_password"))
    return route(url, own, config.proxy, config.no_proxy, environment_proxies())


# The variables route() reads from getproxies(): a scheme's, all_proxy and no_proxy.
_PROXY_VARIABLES = tuple(
    variable
    for name in ("http", "https", "all", "no")
    for variable in (f"{name}_proxy", f"{name.upper()}_PROXY")
)


def environment_proxies() -> dict[str, str]:
    """``getproxies()``, read again only when one of the variables it is used for changed:
    it scans and decodes the whole environment, a cost every job paid at its start."""
    return _proxies_for(tuple(os.environ.get(name) for name in _PROXY_VARIABLES))


@lru_cache(maxsize=4)
def _proxies_for(_values: tuple[str | None, ...]) -> dict[str, str]:
    return getproxies()


def _make(route: Route) -> aiohttp.ClientSession:
    if route.direct:
        return aiohttp.ClientSession(connector=_connector(), auto_decompress=False)
    scheme = route.proxy.partition("://")[0]
    if scheme in SOCKS:
        # socks5h: the proxy resolves the host name (python-socks spells it socks5 + rdns).
        url = route.proxy.replace("socks5h://", "socks5://", 1)
        # Imported here: python-socks costs start-up 20-30 ms, and most daemons never use it.
        from aiohttp_socks import ProxyConnector

        connector = ProxyConnector.from_url(
            url,
            rdns=scheme == "socks5h",
            limit=0,
            ttl_dns_cache=DNS_CACHE,
            ssl=tls.client_context(),
        )
        return aiohttp.ClientSession(connector=connector, auto_decompress=False)
    # aiohttp sends the URL's user and password as Proxy-Authorization (Basic).
    return aiohttp.ClientSession(connector=_connector(), proxy=route.proxy, auto_decompress=False)


def _connector() -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(limit=0, ttl_dns_cache=DNS_CACHE, ssl=tls.client_context())
