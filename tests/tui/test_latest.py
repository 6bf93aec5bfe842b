"""Search as you type keeps one request in flight and shows only the latest query."""

from __future__ import annotations

from idm_tui.latest import LatestWins


def test_wishes_made_while_busy_collapse_to_the_latest() -> None:
    gate: LatestWins[str] = LatestWins()
    assert gate.ask("a") is True  # nothing in flight: send
    assert gate.ask("al") is False and gate.ask("alp") is False  # "a" still in flight
    assert gate.stale  # "a"'s answer is not worth showing
    assert gate.done() == "alp"  # "al" was never sent
    assert not gate.stale and gate.busy
    assert gate.done() is None and not gate.busy
    assert gate.ask("beta") is True
