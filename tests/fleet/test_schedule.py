"""A node's own schedule governs what it takes from the fleet: while its default queue is
stopped (by hand, or outside its time windows) it pulls no job, and the others run them."""

from __future__ import annotations

from tests.fleet.conftest import Files, Fleet


async def test_a_node_whose_default_queue_is_stopped_takes_no_job_from_the_fleet(
    fleet: Fleet, files: Files
) -> None:
    files.pace = 0.2  # a job lasts about a second: n1's two slots cannot take them all at once
    n1, n2, n3 = fleet.nodes
    for node in (n2, n3):
        stopped = await node.call("queues.stop", {"name": "default"})
        assert stopped["name"] == "default"
    made = files.add(6, 256 * 1024)
    added = await n1.call(
        "jobs.add_many",
        {"items": [{"url": files.url(n), "options": {"connections": 1}} for n in made]},
    )
    ids = {job["id"] for job in added}

    done = await fleet.wait_completed(ids, timeout=60)

    assert done == {job_id: ["n1"] for job_id in ids}  # n2 and n3 took none
    assert n2.history() == {} and n3.history() == {}

    await n2.call("queues.start", {"name": "default"})  # n2 takes jobs again
    more = files.add(6, 256 * 1024, prefix="more")
    added = await n1.call(
        "jobs.add_many",
        {"items": [{"url": files.url(n), "options": {"connections": 1}} for n in more]},
    )
    later = {job["id"] for job in added}
    done = await fleet.wait_completed(later, timeout=60)
    assert later <= set(done)
    ran = {node for job_id in later for node in done[job_id]}
    assert "n2" in ran and "n3" not in ran
    for name, data in {**made, **more}.items():
        assert (fleet.downloads / name).read_bytes() == data
