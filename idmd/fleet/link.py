"""The connection to the fleet's NATS server, and the JetStream objects on it.

Connects with the ``[fleet]`` options (credentials, TLS), retries for ever in
the background when the server is not there (the daemon runs meanwhile as a
single node), and once connected makes sure the fleet's stream (work-queue
retention: a job message goes once it is acked), its shared durable pull
consumer (``ack_wait``, ``max_deliver``) and its KV bucket exist.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.kv import KeyValue

from idmd.config import Config
from idmd.fleet.names import FleetNames
from idmd.fleet.tasks import cancel_and_wait

log = logging.getLogger(__name__)
# What talking to an absent or restarting server raises: a fleet call that fails with one of
# these is tried again later, never fatal to the daemon.
NATS_ERRORS = (nats.errors.Error, OSError, TimeoutError, ConnectionError, ssl.SSLError)
RETRY = 1.0  # seconds between connection attempts while the server is away


class Link:
    def __init__(
        self, config: Config, names: FleetNames, node: str, on_ready: Callable[[], Awaitable[None]]
    ) -> None:
        self._config = config
        self.names = names
        self.node = node
        self._on_ready = on_ready
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self.kv: KeyValue | None = None
        self.jobs: JetStreamContext.PullSubscription | None = None
        self.connected = asyncio.Event()
        self.error = ""  # why the fleet is unreachable, for daemon.info
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_loop(), name="fleet-connect")

    async def close(self) -> None:
        await cancel_and_wait([self._task])
        if self.nc is not None and not self.nc.is_closed:
            try:
                await asyncio.wait_for(self.nc.drain(), 3)
            except NATS_ERRORS:  # closing anyway; a dead server cannot be drained
                await self.nc.close()

    async def _connect_loop(self) -> None:
        while True:
            try:
                await self._connect()
                return
            except asyncio.CancelledError:
                raise
            except NATS_ERRORS as exc:
                self.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                log.warning("fleet: cannot reach %s: %s", self._config.fleet_url, self.error)
                if self.nc is not None:
                    await self.nc.close()
                    self.nc = None
                await asyncio.sleep(RETRY)

    async def _connect(self) -> None:
        options: dict[str, Any] = {
            "servers": [self._config.fleet_url],
            "name": f"idmd {self.node}",
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": RETRY,
            "connect_timeout": 5,
            "disconnected_cb": self._disconnected,
            "reconnected_cb": self._reconnected,
            "error_cb": self._error,
        }
        if self._config.fleet_credentials:
            options["user_credentials"] = self._config.fleet_credentials
        tls = self._tls()
        if tls is not None:
            options["tls"] = tls
        self.nc = await nats.connect(**options)
        self.js = self.nc.jetstream()
        await self._ensure()
        self.error = ""
        self.connected.set()
        log.info(
            "fleet %s: node %s connected to %s", self.names.fleet, self.node, self._config.fleet_url
        )
        await self._on_ready()

    def _tls(self) -> ssl.SSLContext | None:
        config = self._config
        if not (
            config.fleet_tls_ca or config.fleet_tls_cert or config.fleet_url.startswith("tls://")
        ):
            return None
        context = ssl.create_default_context(cafile=config.fleet_tls_ca or None)
        if config.fleet_tls_cert:
            context.load_cert_chain(config.fleet_tls_cert, config.fleet_tls_key or None)
        return context

    async def _ensure(self) -> None:
        """The stream, the consumer and the bucket: made by the first node, found by the others."""
        assert self.js is not None
        names = self.names
        stream = StreamConfig(
            name=names.stream,
            subjects=[names.jobs_subject],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
        )
        try:
            await self.js.stream_info(names.stream)
        except nats.js.errors.NotFoundError:
            await self.js.add_stream(stream)
        consumer = ConsumerConfig(
            durable_name=names.consumer,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self._config.fleet_ack_wait,
            max_deliver=self._config.fleet_max_deliver,
            max_ack_pending=-1,
        )
        self.jobs = await self.js.pull_subscribe(
            names.jobs_subject, durable=names.consumer, stream=names.stream, config=consumer
        )
        try:
            self.kv = await self.js.key_value(names.bucket)
        except nats.js.errors.BucketNotFoundError:
            self.kv = await self.js.create_key_value(
                bucket=names.bucket, history=1, storage=StorageType.FILE
            )

    async def _disconnected(self) -> None:
        if self.connected.is_set():
            log.warning(
                "fleet: lost %s; running jobs go on, new ones wait here", self._config.fleet_url
            )
        self.connected.clear()
        self.error = "disconnected"

    async def _reconnected(self) -> None:
        log.info("fleet: reconnected to %s", self._config.fleet_url)
        self.error = ""
        self.connected.set()
        await self._on_ready()

    async def _error(self, exc: Exception) -> None:
        log.debug("fleet: %s", exc)

    async def publish(self, subject: str, payload: bytes) -> None:
        """Core NATS publish (events, heartbeats): dropped while disconnected."""
        if self.nc is not None and self.connected.is_set():
            await self.nc.publish(subject, payload)
