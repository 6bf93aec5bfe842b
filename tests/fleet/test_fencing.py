"""A job completes once however long a node is cut off: a node that loses its job to another
(it was cut off from NATS for longer than ``ack_wait``) does not finish it, and leaves the
shared part file to the node that took it over.

Each node reaches NATS through a relay of its own (``Cut``), so the test cuts one node off
without stopping it: it keeps downloading, as a node behind a broken link would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from idmd.client import Client
from tests.daemon_process import DaemonProcess
from tests.engine.servers import requested_range, serve
from tests.fleet.conftest import Files, NatsServer, Node, write_config
from tests.fleet.test_failures import fleet_record

MiB = 1024 * 1024
TAIL = 64 * 1024  # the bytes each response holds back until the test lets them go


@dataclass
class Cut:
    """A TCP relay to the NATS server whose traffic can be held, both ways, without closing
    anything: to the node it looks like a link that went silent."""

    target: int
    open: asyncio.Event = field(default_factory=asyncio.Event)
    server: asyncio.Server | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> Cut:
        self.open.set()
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"nats://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                await self.open.wait()  # cut: what is read waits here, the rest in the kernel
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:
            sink.close()

    async def close(self) -> None:
        self.open.set()
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@dataclass
class HeldFiles(Files):
    """``Files`` whose every response stops ``TAIL`` bytes before the end until its own gate
    (one per request, in the order they came) is opened."""

    gates: list[asyncio.Event] = field(default_factory=list)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        data = self.data[name]
        self.hits[name] = self.hits.get(name, 0) + 1
        gate = asyncio.Event()
        self.gates.append(gate)
        start = (requested_range(request, len(data)) or (0, 0))[0]
        return await serve(request, data, stall_after=len(data) - TAIL - start, stall=gate)


@pytest.fixture
async def held_files() -> AsyncIterator[HeldFiles]:
    server = await HeldFiles().start()
    yield server
    for gate in server.gates:
        gate.set()
    assert server.server is not None
    await server.server.close()


async def test_a_node_cut_off_past_ack_wait_hands_its_job_over_and_it_completes_once(
    tmp_path: Path, nats_server: NatsServer, held_files: HeldFiles
) -> None:
    ((name, data),) = held_files.add(1, 1 * MiB).items()
    downloads = tmp_path / "shared"
    downloads.mkdir()
    cuts = {n: await Cut(nats_server.port).start() for n in ("n1", "n2")}
    nodes: dict[str, Node] = {}
    try:
        for n, cut in cuts.items():
            home = tmp_path / n
            # stall_timeout: a response held at its gate is not a stalled connection here.
            write_config(home, nats_server, n, downloads, stall_timeout=300, fleet={"url": cut.url})
            process = await asyncio.to_thread(DaemonProcess(home).start)
            node = nodes[n] = Node(n, process)
            node.client = await Client.connect(process.url, process.token, reconnect=False)
        (job,) = await nodes["n1"].call(
            "jobs.add_many",
            {"items": [{"url": held_files.url(name), "options": {"connections": 1}}]},
        )
        job_id = job["id"]
        # The node that took it got all but the tail, and the fleet's record has that checkpoint.
        record = await asyncio.wait_for(
            fleet_record(nats_server, job_id, until=lambda r: r.get("done") == len(data) - TAIL),
            30,
        )
        cut_off, other = record["owner"], next(n for n in nodes if n != record["owner"])
        cuts[cut_off].open.clear()

        await asyncio.wait_for(  # past ack_wait the other node takes the job over
            fleet_record(nats_server, job_id, until=lambda r: r["owner"] == other), 30
        )
        async with asyncio.timeout(10):  # and resumes it: its request waits at its own gate
            while len(held_files.gates) < 2:
                await asyncio.sleep(0.05)
        held_files.gates[0].set()  # the cut-off node gets its last bytes, still cut off
        async with asyncio.timeout(10):
            while (await nodes[cut_off].call("jobs.get", {"id": job_id}))["done"] < len(data):
                await asyncio.sleep(0.05)
        cuts[cut_off].open.set()  # the link is back

        async with asyncio.timeout(30):  # the cut-off node learns it lost the job
            while (there := await nodes[cut_off].call("jobs.get", {"id": job_id}))[
                "status"
            ] == "downloading":
                await asyncio.sleep(0.1)
        assert there["status"] == "cancelled", there  # not completed there
        assert there["error"]["code"] == "handed_over"
        assert f"taken over by node {other}" in there["error"]["message"]
        assert (downloads / f"{name}.part").exists()  # left to the node that has the job now

        held_files.gates[1].set()
        final = await asyncio.wait_for(
            fleet_record(nats_server, job_id, until=lambda r: r["status"] != "downloading"), 30
        )
        assert (final["status"], final["owner"]) == ("completed", other)
        async with asyncio.timeout(10):
            while nodes[other].history().get(job_id) != "completed":
                await asyncio.sleep(0.1)
        histories = {n: node.history().get(job_id) for n, node in nodes.items()}
        assert histories == {cut_off: "cancelled", other: "completed"}  # one completion
        assert (downloads / name).read_bytes() == data
        assert sorted(p.name for p in downloads.iterdir()) == [name]
    finally:
        for node in nodes.values():
            if node.client is not None:
                await node.client.close()
            await asyncio.to_thread(node.process.stop)
        for cut in cuts.values():
            await cut.close()
