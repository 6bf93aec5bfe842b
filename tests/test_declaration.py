"""The declaration of job options and ``jobs.*`` parameters (idmd/protocol/options.py,
params.py) against every surface that uses it: the RPC on the real engine and
store accepts each declared value and refuses each value outside the declared
range with -32602 naming ``options.x``; the CLI has a flag per option; the TUI's
add form offers the declared choices; docs/protocol.md and man/idm.1 list each.

``python -m tests.test_declaration`` prints the options table docs/protocol.md holds.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from idmd.cli.add import job_options
from idmd.cli.main import build_parser
from idmd.config import Config
from idmd.context import DaemonContext
from idmd.engine import Engine
from idmd.events import EventBus
from idmd.paths import resolve_paths
from idmd.protocol.options import BY_NAME, OPTIONS, PATCH_FIELDS, UPDATABLE, Kind, Option, Update
from idmd.protocol.params import IDS, ITEMS, LISTING, ORDER_KEYS, ORDERS, SUBSCRIBE
from idmd.rpc.api import build_dispatcher
from idmd.rpc.pairing_registry import PairingRegistry
from idmd.rpc.peer import Peer, RpcState
from idmd.store import Store

ROOT = Path(__file__).resolve().parent.parent
URL = "http://127.0.0.1:9/file.bin"  # never fetched: every job here is added paused
Call = Callable[[str, dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]]

_UPDATE = {
    Update.NEVER: "no",
    Update.LIVE: "yes",
    Update.STOPPED: "unless downloading or completed",
}


def options_table() -> str:
    """The Markdown table of OPTIONS that docs/protocol.md must hold verbatim."""
    rows = [
        "| option | type | values | default | `jobs.update` | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for o in OPTIONS:
        if o.choices:
            values = ", ".join(f"`{c}`" for c in o.choices)
        elif o.kind is Kind.INTEGER:
            values = o.span
        elif o.kind in (Kind.TEXT, Kind.FILENAME):
            values = f"at most {o.max_length} characters"
        elif o.kind is Kind.FOLDER:
            values = f"an absolute folder, at most {o.max_length} characters"
        elif o.kind is Kind.QUEUE:
            values = "a queue's name (`queues.list`)"
        elif o.kind is Kind.WHEN:
            values = "an ISO 8601 date and time"
        else:
            values = ""
        default = "" if o.default is None else f"`{json.dumps(o.default)}`"
        cells = (f"`{o.name}`", o.json_type, values, default, _UPDATE[o.update], o.help)
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def invalid_values(option: Option) -> list[Any]:
    """Values outside the option's declared type or range."""
    common: list[Any] = [None, [], float("nan")]
    if option.kind is Kind.INTEGER:
        return common + [
            option.low - 1,
            option.high + 1,
            2**64,
            -(2**64),
            float("inf"),
            float("-inf"),
            1.5,
            float(option.low),
            True,
            str(option.low),
        ]
    if option.kind is Kind.CHOICE:
        return common + ["nope", option.choices[0].upper(), True, 1]
    if option.kind is Kind.BOOLEAN:
        return common + ["true", 1, 0]
    if option.kind is Kind.HEADERS:
        return common + [
            "X: 1",
            {"Bad Name": "1"},
            {"X": "a\nb"},
            {"Range": "bytes=0-"},
            {"X": 1},
            {f"X-{n}": "1" for n in range(65)},
        ]
    if option.kind is Kind.COOKIES:
        return common + [5, "a=1\r\nX: 2", {"a": 1}, "x" * 65537]
    if option.kind is Kind.CHECKSUM:
        return common + [5, "sha256=xyz", "crc32=00000000", "md5=" + "0" * 31]
    bad_text = common + [5, True, {"a": "b"}, "a\nb", "a\0b", "x" * (option.max_length + 1)]
    if option.kind is Kind.FOLDER:
        return bad_text + ["rel/sub", "~/x", ""]
    return bad_text + (["../", "..."] if option.kind is Kind.FILENAME else [])


def valid_values(option: Option) -> list[Any]:
    if option.kind is Kind.INTEGER:
        return [option.low, option.high, option.example]
    if option.kind is Kind.CHOICE:
        return list(option.choices)
    if option.kind is Kind.BOOLEAN:
        return [True, False]
    if option.kind in (Kind.TEXT, Kind.FILENAME):
        return [option.example, "x" * option.max_length]
    if option.kind is Kind.FOLDER:
        return [option.example, "/" + "x" * (option.max_length - 1)]
    return [option.example]


@pytest.fixture
async def call(tmp_path: Path) -> AsyncIterator[Call]:
    """``jobs.*`` through the real dispatcher, engine and store (no sockets)."""
    paths = resolve_paths({"IDM_HOME": str(tmp_path)})
    paths.ensure()
    store = await Store.open(tmp_path / "idm.db")
    # ``category`` and ``after`` name what the config has: a category and an action whose
    # names are as long as the declaration allows (valid_values tries those).
    longest = {o.name: "x" * o.max_length for o in OPTIONS if o.name in ("category", "after")}
    config = Config().patched(
        {"categories": {longest["category"]: {}}, "actions": {longest["after"]: {"run": ["true"]}}}
    )
    ctx = DaemonContext(config, paths, secrets.token_hex(16), EventBus())
    engine = Engine(ctx.config, tmp_path / "downloads", store, ctx.bus)
    await engine.start()
    ctx.engine = engine
    state = RpcState(ctx, PairingRegistry(paths.state_dir / "clients.json"), wrong_token_delay=0)
    dispatcher = build_dispatcher(state)
    peer = Peer(state)
    peer.authenticated = True
    ids = iter(range(1, 1 << 30))

    async def calling(method: str, params: dict[str, Any]) -> dict[str, Any]:
        reply = await dispatcher.handle(
            {"jsonrpc": "2.0", "id": next(ids), "method": method, "params": params}, peer
        )
        assert isinstance(reply, dict)
        return reply

    yield calling
    await engine.stop()
    await store.close()


def refused(reply: dict[str, Any], param: str) -> bool:
    error = reply.get("error") or {}
    return (error.get("code"), (error.get("data") or {}).get("param")) == (-32602, param) and error[
        "message"
    ].startswith(f"{param}: ")


async def test_the_engine_accepts_every_declared_option_through_rpc(call: Call) -> None:
    # Before the declaration, ``playlist`` passed the RPC check and the engine refused it.
    for option in OPTIONS:
        for value in valid_values(option):
            options = {option.name: value} | ({} if option.name == "start" else {"start": "paused"})
            reply = await call("jobs.add", {"url": URL, "options": options})
            if options.get("mode") == "media":  # the options passed; yt-dlp then refused the URL
                assert reply["error"]["code"] == -32010, reply
                continue
            assert "result" in reply, (option.name, value, reply)
            if option.secret:  # accepted, and never shown back (kept in the daemon's memory only)
                assert option.name not in reply["result"]["options"]
                continue
            kept = reply["result"]["options"][option.name]
            assert kept == option.check(value, "x"), (option.name, value)


async def test_values_outside_the_declaration_are_refused_naming_the_option(call: Call) -> None:
    for option in OPTIONS:
        for value in invalid_values(option):
            reply = await call(
                "jobs.add", {"url": URL, "options": {"start": "paused", option.name: value}}
            )
            assert refused(reply, f"options.{option.name}"), (option.name, value, reply)
    listing = (await call("jobs.list", {}))["result"]
    assert listing["total"] == 0  # nothing refused was added


async def test_add_many_items_and_probe_use_the_same_declaration(call: Call) -> None:
    reply = await call(
        "jobs.add_many",
        {
            "items": [
                {"url": URL, "options": {"start": "paused", "playlist": True}},
                {"url": URL, "options": {"connections": ITEMS.high}},
                {"url": URL, "options": {"priority": float("nan")}},
            ]
        },
    )
    first, second, third = reply["result"]
    assert first["options"]["playlist"] is True
    assert second["error"]["data"]["param"] == "items[1].options.connections"
    assert third["error"]["data"]["param"] == "items[2].options.priority"
    for items in ([], [{"url": URL}] * (ITEMS.high + 1)):
        assert refused(await call("jobs.add_many", {"items": items}), "items")
    assert refused(
        await call("jobs.probe", {"url": URL, "options": {"speed_limit": -1}}),
        "options.speed_limit",
    )


async def test_jobs_update_changes_exactly_the_declared_options(call: Call) -> None:
    job = (await call("jobs.add", {"url": URL, "options": {"start": "paused"}}))["result"]
    for option in OPTIONS:
        reply = await call("jobs.update", {"id": job["id"], "patch": {option.name: option.example}})
        if option.update is Update.NEVER:
            assert refused(reply, f"patch.{option.name}"), (option.name, reply)
        else:
            assert reply["result"]["options"][option.name] == option.example, option.name
    for option in (o for o in OPTIONS if o.update is not Update.NEVER):
        for value in invalid_values(option):
            reply = await call("jobs.update", {"id": job["id"], "patch": {option.name: value}})
            assert refused(reply, f"patch.{option.name}"), (option.name, value, reply)
    assert refused(await call("jobs.update", {"id": job["id"], "patch": {}}), "patch")


async def test_listing_parameters_follow_the_declaration(call: Call) -> None:
    for order in ORDERS:
        assert "result" in await call("jobs.list", {"order": order}), order
    # ``size`` passed the RPC check before and the store refused it: now one check refuses it.
    for order in ("size", "-size", "+created_at", " created_at", ""):
        assert refused(await call("jobs.list", {"order": order}), "order"), order
    limit = LISTING["limit"]
    for value in (limit.low, limit.high):
        assert "result" in await call("jobs.list", {"limit": value})
    for value in (limit.low - 1, limit.high + 1, 2**64):
        assert refused(await call("jobs.list", {"limit": value}), "limit"), value
    for status in LISTING["status"].choices:
        assert "result" in await call("jobs.list", {"status": [status]})
    assert refused(await call("jobs.list", {"status": ["done"]}), "status")
    assert refused(await call("jobs.list", {"query": "x" * (LISTING["query"].high + 1)}), "query")


async def test_id_lists_follow_the_declaration(call: Call) -> None:
    for method in ("jobs.pause", "jobs.resume", "jobs.cancel", "jobs.retry", "jobs.remove"):
        assert refused(await call(method, {"ids": []}), "ids"), method
        assert refused(await call(method, {"ids": ["x"] * (IDS.high + 1)}), "ids"), method
        assert (await call(method, {"ids": ["nope"]}))["error"]["code"] == -32004, method
    assert refused(await call("jobs.resolve_duplicate", {"id": "nope", "action": "ask"}), "action")


async def test_subscription_parameters_follow_the_declaration(call: Call) -> None:
    since = SUBSCRIBE["since"]
    for value in (since.low, since.high, None):
        assert "result" in await call("events.subscribe", {"since": value}), value
    for value in (since.low - 1, since.high + 1, 1.5, float("nan"), float("inf"), True):
        reply = await call("events.subscribe", {"since": value})
        assert reply["error"]["code"] == -32602 and reply["error"]["data"]["param"] == "since", (
            value
        )
    assert "result" in await call("events.subscribe", {"types": list(SUBSCRIBE["types"].choices)})
    assert refused(await call("events.subscribe", {"types": ["job.nope"]}), "types")


async def test_config_numbers_must_be_finite_and_in_range(call: Call) -> None:
    for key, value in (
        ("stall_timeout", float("nan")),
        ("stall_timeout", float("inf")),
        ("stall_timeout", "nan"),
        ("speed_limit", 2**64),
        ("retries", 2**63),
    ):
        reply = await call("config.set", {"patch": {key: value}})
        assert reply.get("error", {}).get("code") == -32602, (key, value, reply)
        assert reply["error"]["data"]["param"] == f"patch.{key}"
    assert (await call("config.get", {}))["result"]["stall_timeout"] == Config().stall_timeout


def test_the_cli_has_a_flag_for_every_option_that_sets_it() -> None:
    parser = build_parser()
    for option in OPTIONS:
        flag = option.flag.names[-1]
        if option.kind is Kind.BOOLEAN:
            argv = [flag if option.example else "--no-" + flag.removeprefix("--")]
        elif option.kind is Kind.HEADERS:
            name, value = next(iter(option.example.items()))
            argv = [flag, f"{name}: {value}"]
        else:
            argv = [flag, str(option.example)]
        args = parser.parse_args(["add", URL, *argv])
        assert job_options(args) == {option.name: option.example}, option.name


def test_the_tui_add_form_offers_the_declared_choices() -> None:
    from idm_tui.screens.add import START_LABELS

    assert tuple(START_LABELS) == BY_NAME["start"].choices


def test_docs_protocol_lists_every_option_and_parameter() -> None:
    text = (ROOT / "docs/protocol.md").read_text(encoding="utf-8")
    assert options_table() in text, (
        "docs/protocol.md's options table differs from:\n" + options_table()
    )
    orders = re.search(
        r"`order` is one of (.*?), each optionally\s+prefixed with `-`", text, re.DOTALL
    )
    assert orders is not None and re.findall(r"`([^`]+)`", orders.group(1)) == list(ORDER_KEYS)
    rows = {
        line.split("|")[1].strip(): line
        for line in text.splitlines()
        if line.startswith("| `jobs.")
    }
    assert set(re.findall(r"`(\w+)`", rows["`jobs.update`"].split("|")[2])) == {
        "id",
        "patch",
        *UPDATABLE,
        *PATCH_FIELDS,
    }
    limit = LISTING["limit"]
    assert f"`limit` ({limit.low}–{limit.high}, default {limit.default})" in rows["`jobs.list`"]
    assert f"({ITEMS.low}–{ITEMS.high})" in rows["`jobs.add_many`"]
    assert f"`ids` lists {IDS.low} to {IDS.high}" in text


def test_man_idm_documents_every_option_flag() -> None:
    text = (ROOT / "man/idm.1").read_text(encoding="utf-8")
    for option in OPTIONS:
        for name in option.flag.names:
            assert re.search(rf"^\.It .*Fl {re.escape(name[1:])}\b", text, re.MULTILINE), name
        for choice in option.choices:
            assert re.search(rf"\b{re.escape(choice)}\b", text), (option.name, choice)


if __name__ == "__main__":
    print(options_table())
