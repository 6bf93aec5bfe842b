"""The start order per named queue (``StartOrder`` groups): a closed queue's jobs are passed
over, the open queues' jobs still start by priority then age, and a job that changes queue
or start time moves with it."""

from __future__ import annotations

from idmd.engine.scheduler import StartOrder

T = "2026-01-01T00:00:00.000Z"


def drain(order: StartOrder, allowed: set[str] | None = None) -> list[str]:
    out = []
    while (job := order.pop(None if allowed is None else allowed.__contains__)) is not None:
        out.append(job)
    return out


def test_a_closed_group_is_passed_over_and_keeps_its_jobs() -> None:
    order = StartOrder()
    order.push("night-high", 9, T, 0, "night")
    order.push("default-old", 0, T, 1)
    order.push("default-high", 5, T, 2)
    order.push("night-low", 0, T, 3, "night")
    assert drain(order, {"default"}) == ["default-high", "default-old"]
    assert len(order) == 2 and "night-high" in order
    assert drain(order, set()) == []
    assert drain(order) == ["night-high", "night-low"]  # open again: priority across groups


def test_a_job_that_moves_to_another_group_leaves_the_old_one() -> None:
    order = StartOrder()
    order.push("a", 0, T, 0, "night")
    order.push("b", 0, T, 1, "night")
    order.push("a", 0, T, 0, "default")  # jobs.update {queue: default}
    assert drain(order, {"default"}) == ["a"]
    assert drain(order, {"default"}) == []
    assert drain(order, {"night"}) == ["b"]


def test_many_moves_do_not_grow_the_heaps_without_bound() -> None:
    order = StartOrder()
    for n in range(2000):
        order.push("job", n % 7, T, 0, f"q{n % 3}")
    assert len(order) == 1
    order.discard("job")
    assert order._entries <= 64 and drain(order) == []
