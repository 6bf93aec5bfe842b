"""The hub alone: shared frames for peers that keep up, the careful path for the rest."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import deque
from pathlib import Path

from idmd.config import Config
from idmd.context import DaemonContext
from idmd.events import EventBus
from idmd.events.rules import EventFilter
from idmd.events.subscriber import Subscriber
from idmd.paths import resolve_paths
from idmd.protocol.events import Event, EventType
from idmd.rpc.pairing_registry import PairingRegistry
from idmd.rpc.peer import Peer, RpcState, Subscription


def ev(seq: int, type: EventType, job: str | None = "a") -> Event:
    return Event(seq, type, job, 0.0, {"n": seq})


def test_select_filters_and_keeps_the_last_coalesced_copy_in_place() -> None:
    events = [
        ev(1, EventType.JOB_PROGRESS),
        ev(2, EventType.JOB_STATUS),
        ev(3, EventType.JOB_PROGRESS),
        ev(4, EventType.JOB_PROGRESS, "b"),
        ev(5, EventType.JOB_LOG),
    ]
    assert [e.seq for e in EventFilter().select(events)] == [2, 3, 4, 5]
    assert [e.seq for e in EventFilter(jobs=["b"], types=["job.progress"]).select(events)] == [4]


def make_state(tmp: Path) -> RpcState:
    paths = resolve_paths({"IDM_HOME": str(tmp)})
    paths.ensure()
    ctx = DaemonContext(Config(), paths, secrets.token_hex(32), EventBus())
    return RpcState(ctx, PairingRegistry(paths.state_dir / "clients.json"))


class Socket:
    """A peer's link whose socket takes ``write_now`` frames while ``idle``."""

    raw_frames = True

    def __init__(self, idle: bool = False) -> None:
        self.idle = idle
        self.written: list[bytes] = []

    def wake(self) -> None:
        pass

    def write_now(self, frame: bytes) -> bool:
        if self.idle:
            self.written.append(frame)
        return self.idle

    def closing(self) -> None:
        pass


def subscribed(
    state: RpcState, link: Socket | None = None, batch: bool = False, **kwargs: object
) -> Peer:
    peer = Peer(state, link or Socket())
    peer.subscribe(Subscriber(**kwargs), [], frozenset(), batch)  # type: ignore[arg-type]
    peer.activate()
    return peer


def ready(peer: Peer) -> deque[str | bytes]:
    assert isinstance(peer.subscription, Subscription)
    return peer.subscription.ready


def test_peers_that_keep_up_share_one_encoding_of_a_burst(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    peers = [subscribed(state, batch=True) for _ in range(5)]
    bus = state.ctx.bus
    before = state.frames.encoded
    bus.emit(EventType.JOB_ADDED, "a", {})  # no running loop here: the hub delivers at once
    assert state.frames.encoded - before == 1
    frames = [ready(p).popleft() for p in peers]
    assert all(f is frames[0] for f in frames)  # the very same object
    assert json.loads(frames[0])["params"]["type"] == "job.added"


def test_a_peer_that_is_behind_takes_the_careful_path(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    quick, slow = subscribed(state), subscribed(state, limit=2)
    bus = state.ctx.bus
    bus.emit(EventType.JOB_ADDED, "a", {})
    assert len(ready(slow)) == 1  # never sent: the writer is stuck
    for job in "bcd":
        ready(quick).clear()
        bus.emit(EventType.JOB_ADDED, job, {})
    assert slow.subscription is not None and len(slow.subscription.subscriber) == 2
    assert slow.close_code == 4408  # the third critical event did not fit
    assert quick.close_code is None


def test_events_before_subscribing_are_not_delivered_twice(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    bus = state.ctx.bus
    subscribed(state)
    event = bus.emit(EventType.JOB_LOG, "a", {})
    state.hub._pending.append(event)  # as if still pending when the next peer subscribes
    late = subscribed(state)
    state.hub.flush()
    assert late.subscription is not None
    assert not late.subscription.ready and late.subscription.start_seq == event.seq


def test_unsubscribing_the_last_peer_removes_the_listener(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    peers = [subscribed(state) for _ in range(3)]
    assert state.ctx.bus.listener_count == 1
    for peer in peers:
        peer.release()
    assert state.ctx.bus.listener_count == 0


def test_ws_frame_headers_for_each_length_class() -> None:
    from idmd.rpc.wire import ws_frame

    assert ws_frame("hi") == b"\x81\x02hi"
    assert ws_frame(b"x" * 200)[:4] == b"\x82\x7e\x00\xc8"
    big = ws_frame(b"y" * 70000)
    assert (
        big[:2] == b"\x82\x7f" and int.from_bytes(big[2:10], "big") == 70000 and len(big) == 70010
    )


def test_idle_sockets_are_written_at_once_and_busy_ones_get_the_rest_queued(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    socket = Socket(idle=True)
    idle, busy = subscribed(state, socket), subscribed(state)
    state.ctx.bus.emit(EventType.JOB_ADDED, "a", {})
    written = socket.written
    assert len(written) == 1 and not ready(idle)
    assert written[0][0] == 0x81 and json.loads(written[0][2:])["params"]["job"] == "a"
    assert len(ready(busy)) == 1


def test_a_burst_reaches_an_idle_unbatched_peer_in_one_write_of_whole_frames(
    tmp_path: Path,
) -> None:
    state = make_state(tmp_path)
    socket = Socket(idle=True)
    peer = subscribed(state, socket)
    writes = socket.written
    hub, bus = state.hub, state.ctx.bus
    hub._scheduled = True  # as inside a loop turn: the burst waits for flush()
    for job in "abc":
        bus.emit(EventType.JOB_ADDED, job, {})
    hub.flush()
    assert len(writes) == 1  # one system call for the burst, not one per event
    assert frame_jobs(writes[0]) == ["a", "b", "c"] and not ready(peer)  # separate, in order


class SignallingSocket(Socket):
    """An idle socket that says when it was written to."""

    def __init__(self) -> None:
        super().__init__(idle=True)
        self.wrote = asyncio.Event()

    def write_now(self, frame: bytes) -> bool:
        self.wrote.set()
        return super().write_now(frame)


def frame_jobs(data: bytes) -> list[str]:
    """The jobs of the small text frames in one write, in order."""
    jobs = []
    while data:
        assert data[0] == 0x81 and data[1] < 126
        jobs.append(json.loads(data[2 : 2 + data[1]])["params"]["job"])
        data = data[2 + data[1] :]
    return jobs


async def test_events_of_successive_loop_turns_reach_a_client_together(tmp_path: Path) -> None:
    """Downloads finishing one after another emit in different loop turns: the first event
    goes out at the end of its turn, those that follow it closely share one write."""
    state = make_state(tmp_path)
    socket = SignallingSocket()
    subscribed(state, socket)
    bus = state.ctx.bus
    bus.emit(EventType.JOB_ADDED, "a", {})
    await socket.wrote.wait()
    assert [frame_jobs(w) for w in socket.written] == [["a"]]
    socket.wrote.clear()
    for job in "bcd":
        bus.emit(EventType.JOB_ADDED, job, {})
        await asyncio.sleep(0)  # the next loop turn, as the next job's end would be
    assert len(socket.written) == 1  # held back: written moments ago
    await socket.wrote.wait()
    assert [frame_jobs(w) for w in socket.written] == [["a"], ["b", "c", "d"]]
