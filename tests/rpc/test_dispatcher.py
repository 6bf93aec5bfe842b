"""The dispatcher without any transport: a dict in, a dict/list/None out."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idmd.config import Config
from idmd.context import DaemonContext
from idmd.events import EventBus
from idmd.paths import resolve_paths
from idmd.protocol.errors import InvalidParams
from idmd.rpc.api import build_dispatcher
from idmd.rpc.dispatcher import Dispatcher
from idmd.rpc.pairing_registry import PairingRegistry
from idmd.rpc.peer import Peer, RpcState
from tests.rpc.toy import ToyEngine


def make(tmp: Path) -> tuple[Dispatcher, RpcState]:
    paths = resolve_paths({"IDM_HOME": str(tmp)})
    paths.ensure()
    ctx = DaemonContext(Config(), paths, secrets.token_hex(32), EventBus())
    ctx.engine = ToyEngine(ctx.bus)  # type: ignore[assignment]
    state = RpcState(ctx, PairingRegistry(paths.state_dir / "clients.json"), wrong_token_delay=0)
    return build_dispatcher(state), state


def authed(state: RpcState) -> Peer:
    peer = Peer(state)
    peer.authenticated = True
    return peer


def run(dispatcher: Dispatcher, message: Any, peer: Peer) -> Any:
    return asyncio.run(dispatcher.handle(message, peer))


def test_the_dispatcher_imports_no_aiohttp() -> None:
    code = "import sys, idmd.rpc.api; print([m for m in sys.modules if m.startswith('aiohttp')])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # idmd.context (the daemon's app object) defines an aiohttp AppKey; nothing else may pull it in.
    assert "aiohttp.web_ws" not in out and "aiohttp.client" not in out


def test_requests_notifications_and_batches(tmp_path: Path) -> None:
    dispatcher, state = make(tmp_path)
    peer = authed(state)
    assert run(dispatcher, {"jsonrpc": "2.0", "id": 7, "method": "session.ping"}, peer) == {
        "jsonrpc": "2.0",
        "id": 7,
        "result": "pong",
    }
    assert run(dispatcher, {"jsonrpc": "2.0", "method": "session.ping"}, peer) is None
    assert run(dispatcher, [{"jsonrpc": "2.0", "method": "session.ping"}], peer) is None
    assert run(dispatcher, [], peer)["error"]["code"] == -32600
    batch = run(dispatcher, [1, {"jsonrpc": "2.0", "id": "a", "method": "session.ping"}], peer)
    assert [r.get("id") for r in batch] == [None, "a"]
    assert batch[0]["error"]["code"] == -32600


def test_unknown_and_private_methods_are_not_found(tmp_path: Path) -> None:
    dispatcher, state = make(tmp_path)
    peer = authed(state)
    for name in ("nope", "jobs._engine", "jobs.__init__", "session", "jobs.", ".ping"):
        reply = run(dispatcher, {"jsonrpc": "2.0", "id": 1, "method": name}, peer)
        assert reply["error"]["code"] == -32601, name


def test_positional_params_and_defaults(tmp_path: Path) -> None:
    dispatcher, state = make(tmp_path)
    peer = authed(state)
    job = run(
        dispatcher,
        {"jsonrpc": "2.0", "id": 1, "method": "jobs.add", "params": ["http://h.test/a"]},
        peer,
    )
    assert job["result"]["id"] == "j1"
    many = run(
        dispatcher,
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "jobs.add_many",
            "params": {
                "items": [
                    {"url": "http://h.test/b"},
                    {"url": "ftp://h.test/c"},
                    {"url": "http://h.test/d", "options": {"x": 1}},
                ]
            },
        },
        peer,
    )
    result = many["result"]
    assert result[0]["id"] == "j2"
    assert result[1]["error"]["code"] == -32010
    assert result[2]["error"]["data"]["param"] == "items[2].options.x"


def test_only_hello_and_pair_before_authentication(tmp_path: Path) -> None:
    dispatcher, state = make(tmp_path)
    peer = Peer(state)
    reply = run(
        dispatcher,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "session.pair",
            "params": {"client": {"name": "ext"}},
        },
        peer,
    )
    assert len(reply["result"]["code"]) == 6 and peer.close_code is None
    reply = run(dispatcher, {"jsonrpc": "2.0", "id": 2, "method": "daemon.info"}, peer)
    assert reply["error"]["code"] == -32001 and peer.close_code == 4401


def test_pairing_gives_the_waiting_connection_its_own_revocable_token(tmp_path: Path) -> None:
    dispatcher, state = make(tmp_path)
    waiting, admin = Peer(state), authed(state)
    state.peers.update({waiting, admin})
    heard: list = []
    state.ctx.bus.listen(heard.append)
    code = run(
        dispatcher,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "session.pair",
            "params": {"client": {"name": "Chrome", "version": "1.0"}},
        },
        waiting,
    )["result"]["code"]
    assert (
        heard[-1].data["code"] == code
    )  # pairing.requested for the TUI (live, not in the replay buffer)
    pending = run(dispatcher, {"jsonrpc": "2.0", "id": 2, "method": "pairing.list"}, admin)[
        "result"
    ]["pending"]
    assert [p["code"] for p in pending] == [code]
    assert run(
        dispatcher,
        {"jsonrpc": "2.0", "id": 3, "method": "pairing.approve", "params": [code]},
        admin,
    )["result"]
    message = json.loads(waiting.outbox.popleft())
    token = message["params"]["data"]["token"]
    assert message["params"]["type"] == "pairing.approved" and waiting.authenticated
    assert token != state.ctx.token and state.check_token(token)[0]
    stored = state.ctx.paths.state_dir / "clients.json"
    assert token not in stored.read_text() and stored.stat().st_mode & 0o777 == 0o600
    again = run(
        dispatcher,
        {"jsonrpc": "2.0", "id": 4, "method": "pairing.approve", "params": [code]},
        admin,
    )
    assert again["error"]["data"]["param"] == "code"
    clients = run(dispatcher, {"jsonrpc": "2.0", "id": 5, "method": "pairing.list"}, admin)[
        "result"
    ]["clients"]
    assert [c["name"] for c in clients] == ["Chrome"]
    run(
        dispatcher,
        {"jsonrpc": "2.0", "id": 6, "method": "pairing.revoke", "params": [clients[0]["id"]]},
        admin,
    )
    assert not state.check_token(token)[0] and waiting.close_code == 4401
    # A new registry (a restarted daemon) reads the same file.
    assert PairingRegistry(stored).clients() == []


def test_pairing_codes_expire(tmp_path: Path) -> None:
    now = [1000.0]
    registry = PairingRegistry(tmp_path / "clients.json", clock=lambda: now[0])
    pending, _ = registry.request({"name": "x", "version": ""}, object())
    now[0] += 121
    assert registry.pending() == []
    with pytest.raises(InvalidParams):
        registry.take(pending.code)


def test_a_ping_is_served_to_a_pairing_connection_before_authentication(tmp_path: Path) -> None:
    dispatcher, state = make(tmp_path)
    peer = Peer(state)
    run(
        dispatcher,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "session.pair",
            "params": {"client": {"name": "ext"}},
        },
        peer,
    )
    assert (
        run(dispatcher, {"jsonrpc": "2.0", "id": 2, "method": "session.ping"}, peer)["result"]
        == "pong"
    )
    assert peer.close_code is None and not peer.authenticated


def _pair(dispatcher: Dispatcher, peer: Peer, **params: Any) -> Any:
    return run(
        dispatcher,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "session.pair",
            "params": {"client": {"name": "Chrome", "version": "1"}, **params},
        },
        peer,
    )


def test_a_code_whose_connection_died_is_resumed_by_the_same_client(tmp_path: Path) -> None:
    dispatcher, state = make(tmp_path)
    first, admin = Peer(state), authed(state)
    asked = _pair(dispatcher, first)["result"]
    requested = len(state.ctx.bus.replay(0)[0])
    first.release()  # the browser stopped the extension's worker: its socket died
    # While nobody holds the code an approval would lose the token: refused, the code stays.
    early = run(
        dispatcher,
        {"jsonrpc": "2.0", "id": 2, "method": "pairing.approve", "params": [asked["code"]]},
        admin,
    )
    assert "reconnecting" in early["error"]["message"]
    stranger = Peer(state)
    assert _pair(dispatcher, stranger, resume="x" * 32)["error"]["data"]["param"] == "resume"
    second = Peer(state)
    resumed = _pair(dispatcher, second, resume=asked["resume"])["result"]
    assert resumed == asked  # the same code, still counting down from the first request
    assert len(state.ctx.bus.replay(0)[0]) == requested  # no second pairing.requested
    assert (
        run(
            dispatcher,
            {"jsonrpc": "2.0", "id": 3, "method": "pairing.approve", "params": [asked["code"]]},
            admin,
        )["result"]
        is True
    )
    assert second.authenticated and json.loads(second.outbox.popleft())["params"]["data"]["token"]


def test_an_orphaned_code_lasts_only_the_grace_period(tmp_path: Path) -> None:
    now = [1000.0]
    registry = PairingRegistry(tmp_path / "clients.json", clock=lambda: now[0])
    owner = object()
    pending, _ = registry.request({"name": "x", "version": ""}, owner)
    registry.drop_owner(owner)
    now[0] += 44
    assert [p["code"] for p in registry.pending()] == [pending.code]
    now[0] += 2  # past RESUME_GRACE (45 s), well before the code's own 120 s
    assert registry.pending() == []
    with pytest.raises(InvalidParams):
        registry.resume(pending.resume_key, object())


# -- fuzzing -------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
METHODS = [
    "session.hello",
    "session.pair",
    "session.ping",
    "pairing.approve",
    "pairing.deny",
    "pairing.list",
    "pairing.revoke",
    "daemon.info",
    "daemon.stats",
    "config.get",
    "config.set",
    "jobs.probe",
    "jobs.add",
    "jobs.add_many",
    "jobs.get",
    "jobs.list",
    "jobs.pause",
    "jobs.resume",
    "jobs.cancel",
    "jobs.retry",
    "jobs.remove",
    "jobs.update",
    "jobs.resolve_duplicate",
    "events.subscribe",
    "events.unsubscribe",
    "x.y",
]
requests = st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "2.0", "2.0", "1.0"]), "method": st.sampled_from(METHODS)},
    optional={
        "id": st.none() | st.integers() | st.text(max_size=5) | st.booleans(),
        "params": st.dictionaries(
            st.sampled_from(
                [
                    "url",
                    "options",
                    "ids",
                    "id",
                    "patch",
                    "since",
                    "types",
                    "items",
                    "code",
                    "token",
                    "limit",
                    "status",
                    "x",
                ]
            ),
            json_values,
            max_size=3,
        )
        | st.lists(json_values, max_size=3)
        | json_values,
    },
)
messages = json_values | requests | st.lists(requests | json_values, max_size=5)


def valid_response(reply: Any) -> bool:
    if not isinstance(reply, dict) or reply.get("jsonrpc") != "2.0" or "id" not in reply:
        return False
    if ("result" in reply) == ("error" in reply):
        return False
    if "error" in reply:
        error = reply["error"]
        return isinstance(error.get("code"), int) and isinstance(error.get("message"), str)
    return True


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(message=messages, authenticated=st.booleans())
def test_fuzzed_input_never_crashes_and_every_reply_is_valid(
    tmp_path: Path, message: Any, authenticated: bool
) -> None:
    dispatcher, state = make(tmp_path)
    peer = authed(state) if authenticated else Peer(state)
    reply = run(dispatcher, message, peer)
    peer.release()
    if reply is None:
        return
    json.dumps(reply, default=str)  # encodable
    if isinstance(reply, list):
        assert reply and all(valid_response(r) for r in reply)
    else:
        assert valid_response(reply)
        assert not (reply.get("error") or {}).get("message", "").startswith("Traceback")
