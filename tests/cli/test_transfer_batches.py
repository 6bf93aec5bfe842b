"""``idm import`` sends as few ``jobs.import`` calls as the 1 MiB frame allows: each call is
one transaction, so a history of a few thousand jobs goes in whole or not at all."""

from __future__ import annotations

import json

from idmd.cli.transfer import BATCH_BYTES, batches


def entry(i: int) -> dict:
    return {
        "id": f"{i:012x}",
        "url": f"https://example.org/files/{i}/some-file-name-{i}.iso",
        "status": "completed",
        "filename": f"some-file-name-{i}.iso",
        "size": 123456789,
        "created_at": "2026-12-03T05:00:00.123456Z",
        "finished_at": "2026-12-03T05:10:00.123456Z",
        "options": {"connections": 8},
    }


def test_a_few_thousand_jobs_are_one_call() -> None:
    entries = [entry(i) for i in range(2000)]
    assert batches(entries) == [entries]


def test_a_big_history_is_cut_in_order_under_the_frame() -> None:
    entries = [entry(i) for i in range(12000)]
    cut = batches(entries)
    assert len(cut) > 1
    assert [e for batch in cut for e in batch] == entries
    for batch in cut:
        assert len(json.dumps({"jobs": batch}).encode()) < BATCH_BYTES + 4096
        assert len(batch) <= 10_000
