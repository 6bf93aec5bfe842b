"""The hub alone: shared frames for peers that keep up, the careful path for the rest."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from idmd.config import Config
from idmd.context import DaemonContext
from idmd.events import EventBus
from idmd.events.subscriber import Subscriber
from idmd.paths import resolve_paths
from idmd.protocol.events import Event, EventType
from idmd.rpc.fanout import select
from idmd.rpc.pairing_registry import PairingRegistry
from idmd.rpc.peer import Peer, RpcState


def ev(seq: int, type: EventType, job: str | None = "a") -> Event:
    return Event(seq, type, job, 0.0, {"n": seq})


def test_select_filters_and_keeps_the_last_coalesced_copy_in_place() -> None:
    events = [ev(1, EventType.JOB_PROGRESS), ev(2, EventType.JOB_STATUS), ev(3, EventType.JOB_PROGRESS),
              ev(4, EventType.JOB_PROGRESS, "b"), ev(5, EventType.JOB_LOG)]
    assert [e.seq for e in select(events, None, None)] == [2, 3, 4, 5]
    assert [e.seq for e in select(events, frozenset({EventType.JOB_PROGRESS}), frozenset({"b"}))] == [4]


def make_state(tmp: Path) -> RpcState:
    paths = resolve_paths({"IDM_HOME": str(tmp)})
    paths.ensure()
    ctx = DaemonContext(Config(), paths, secrets.token_hex(32), EventBus())
    return RpcState(ctx, PairingRegistry(paths.state_dir / "clients.json"))


def subscribed(state: RpcState, **kwargs: object) -> Peer:
    peer = Peer(state)
    peer.subscribe(Subscriber(**kwargs), [], frozenset())  # type: ignore[arg-type]
    peer.activate()
    return peer


def test_peers_that_keep_up_share_one_encoding_of_a_burst(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    peers = [subscribed(state) for _ in range(5)]
    for peer in peers:
        peer.batch = True
    bus = state.ctx.bus
    before = state.frames.encoded
    bus.emit(EventType.JOB_ADDED, "a", {})  # no running loop here: the hub delivers at once
    assert state.frames.encoded - before == 1
    frames = [p.event_frames.popleft() for p in peers]
    assert all(f is frames[0] for f in frames)  # the very same object
    assert json.loads(frames[0])["params"]["type"] == "job.added"


def test_a_peer_that_is_behind_takes_the_careful_path(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    quick, slow = subscribed(state), subscribed(state, limit=2)
    bus = state.ctx.bus
    bus.emit(EventType.JOB_ADDED, "a", {})
    assert len(slow.event_frames) == 1  # never sent: the writer is stuck
    for job in "bcd":
        quick.event_frames.clear()
        bus.emit(EventType.JOB_ADDED, job, {})
    assert slow.subscriber is not None and len(slow.subscriber) == 2
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
    assert not late.event_frames and late.start_seq == event.seq


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
    assert big[:2] == b"\x82\x7f" and int.from_bytes(big[2:10], "big") == 70000 and len(big) == 70010


def test_idle_sockets_are_written_at_once_and_busy_ones_get_the_rest_queued(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    idle, busy = subscribed(state), subscribed(state)
    written: list[bytes] = []
    idle.write_now = lambda frame: written.append(frame) or True  # type: ignore[func-returns-value]
    busy.write_now = lambda frame: False
    state.ctx.bus.emit(EventType.JOB_ADDED, "a", {})
    assert len(written) == 1 and not idle.event_frames
    assert written[0][0] == 0x81 and json.loads(written[0][2:])["params"]["job"] == "a"
    assert len(busy.event_frames) == 1


def test_a_burst_reaches_an_idle_unbatched_peer_in_one_write_of_whole_frames(tmp_path: Path) -> None:
    state = make_state(tmp_path)
    peer = subscribed(state)
    writes: list[bytes] = []
    peer.write_now = lambda frame: writes.append(frame) or True  # type: ignore[func-returns-value]
    hub, bus = state.hub, state.ctx.bus
    hub._scheduled = True  # as inside a loop turn: the burst waits for flush()
    for job in "abc":
        bus.emit(EventType.JOB_ADDED, job, {})
    hub.flush()
    assert len(writes) == 1  # one system call for the burst, not one per event
    data, jobs = writes[0], []
    while data:  # three separate text frames, in emit order
        assert data[0] == 0x81 and data[1] < 126
        jobs.append(json.loads(data[2:2 + data[1]])["params"]["job"])
        data = data[2 + data[1]:]
    assert jobs == ["a", "b", "c"] and not peer.event_frames
