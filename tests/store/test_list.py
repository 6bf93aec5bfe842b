"""History listing: filters, search, order and keyset paging."""

from __future__ import annotations

import pytest

from idmd.protocol.errors import InvalidParams
from idmd.store import Store, listing
from tests.store.conftest import make_job


@pytest.fixture(autouse=True, params=["narrow", "broad"])
def access_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every listing test down both access paths the store chooses between.

    The store walks an index when many rows match and fetches-then-sorts when
    few do; with DENSE at 0 any match counts as many.
    """
    if request.param == "broad":
        monkeypatch.setattr(listing, "DENSE", 0)
    return str(request.param)


ORDERS = ["created_at", "-created_at", "finished_at", "-finished_at", "filename", "-filename"]


async def collect(
    store: Store, order: str, limit: int, status: list[str] | None = None, query: str | None = None
) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = await store.list_jobs(status, query, limit, cursor, order)
        ids.extend(job["id"] for job in page["jobs"])
        cursor = page["cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("order", ORDERS)
async def test_paging_covers_every_row_exactly_once_in_order(store: Store, order: str) -> None:
    # Ties on every sort key (same created_at, same names in different case,
    # unfinished jobs without finished_at) are where keyset paging goes wrong.
    for n in range(53):
        store.save_job(
            make_job(
                n,
                created_at=f"2026-01-01T00:00:{n % 7:02d}.000Z",
                filename=["b.iso", "A.iso", "a.iso", "c.iso"][n % 4],
                finished_at=None if n % 5 == 0 else f"2026-01-02T00:00:{n % 3:02d}Z",
            )
        )
    ids = await collect(store, order, 10)
    assert sorted(ids) == sorted(f"job{n:05d}" for n in range(53))
    assert len(ids) == 53

    key = order.lstrip("-")
    jobs = {job["id"]: job for job in (await store.list_jobs(None, None, 100, None, order))["jobs"]}
    values = [
        ((jobs[i][key] or "").lower() if key == "filename" else jobs[i][key] or "", i) for i in ids
    ]
    assert values == sorted(values, reverse=order.startswith("-"))


async def test_jobs_added_while_paging_do_not_shift_pages(store: Store) -> None:
    for n in range(30):
        store.save_job(make_job(n))
    first = await store.list_jobs(None, None, 10, None, "created_at")
    # A newer job arrives between two pages (it sorts after all of them).
    store.save_job(make_job(99))
    second = await store.list_jobs(None, None, 10, first["cursor"], "created_at")
    assert [j["id"] for j in second["jobs"]] == [f"job{n:05d}" for n in range(10, 20)]
    assert second["total"] == 31


async def test_last_page_has_no_cursor(store: Store) -> None:
    for n in range(10):
        store.save_job(make_job(n))
    page = await store.list_jobs(None, None, 10, None, "-created_at")
    assert len(page["jobs"]) == 10
    assert page["cursor"] is None


async def test_status_filter_and_total(store: Store) -> None:
    for n in range(12):
        store.save_job(make_job(n, status=["completed", "failed", "cancelled"][n % 3]))
    page = await store.list_jobs(["failed", "cancelled"], None, 5, None, "-created_at")
    assert page["total"] == 8
    assert len(page["jobs"]) == 5
    assert {job["status"] for job in page["jobs"]} <= {"failed", "cancelled"}
    assert await collect(store, "-created_at", 3, status=["failed"]) == [
        f"job{n:05d}" for n in (10, 7, 4, 1)
    ]


async def test_search_matches_name_or_url_case_insensitively(store: Store) -> None:
    store.save_job(
        make_job(1, filename="Ubuntu-24.04-desktop.iso", url="https://releases.example/u.iso")
    )
    store.save_job(make_job(2, filename="notes.txt", url="https://cdn.example/UBUNTU/notes.txt"))
    store.save_job(make_job(3, filename="debian.iso", url="https://deb.example/debian.iso"))
    page = await store.list_jobs(None, "ubuntu", 10, None, "created_at")
    assert [job["id"] for job in page["jobs"]] == ["job00001", "job00002"]
    assert page["total"] == 2


async def test_every_search_term_must_match(store: Store) -> None:
    store.save_job(make_job(1, filename="holiday video.mp4", url="https://v.example/a"))
    store.save_job(make_job(2, filename="holiday photos.zip", url="https://p.example/b"))
    store.save_job(make_job(3, filename="work video.mp4", url="https://v.example/c"))
    page = await store.list_jobs(None, "  video   HOLIDAY ", 10, None, "created_at")
    assert [job["id"] for job in page["jobs"]] == ["job00001"]
    # Short terms (under three characters) are searched too, and combine with long ones.
    page = await store.list_jobs(None, "v.e /c", 10, None, "created_at")
    assert [job["id"] for job in page["jobs"]] == ["job00003"]


@pytest.mark.parametrize("text", ['"', "%", "_", "a*", "NOT", "x OR y", "(", "\\", "AND"])
async def test_search_text_is_literal_never_syntax(store: Store, text: str) -> None:
    store.save_job(make_job(1, filename=f"odd {text} name.bin"))
    store.save_job(make_job(2, filename="plain.bin", url="https://x.example/plain.bin"))
    page = await store.list_jobs(None, text, 10, None, "created_at")
    assert [job["id"] for job in page["jobs"]] == ["job00001"]


async def test_search_with_status_and_paging(store: Store) -> None:
    for n in range(40):
        name = f"{'song' if n % 2 else 'clip'}-{n}.mp3"
        store.save_job(make_job(n, filename=name, status="failed" if n % 4 == 1 else "completed"))
    ids = await collect(store, "filename", 3, status=["completed"], query="song")
    expected = sorted((f"song-{n}.mp3", f"job{n:05d}") for n in range(40) if n % 2 and n % 4 != 1)
    assert ids == [job_id for _, job_id in expected]


async def test_renamed_job_is_found_by_its_new_name_only(store: Store) -> None:
    store.save_job(make_job(1, filename="oldname.bin"))
    store.save_job(make_job(1, filename="newname.bin"))
    assert (await store.list_jobs(None, "oldname", 10, None, "created_at"))["total"] == 0
    assert (await store.list_jobs(None, "newname", 10, None, "created_at"))["total"] == 1


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"order": "size"}, "order"),
        ({"status": ["done"]}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 10**6}, "limit"),
        ({"cursor": "not a cursor!"}, "cursor"),
    ],
)
async def test_bad_listing_params_are_invalid_params(
    store: Store, kwargs: dict, param: str
) -> None:
    args = {
        "status": None,
        "query": None,
        "limit": 10,
        "cursor": None,
        "order": "-created_at",
        **kwargs,
    }
    with pytest.raises(InvalidParams) as raised:
        await store.list_jobs(**args)
    assert raised.value.data == {"param": param}


async def test_cursor_from_another_order_is_refused(store: Store) -> None:
    for n in range(3):
        store.save_job(make_job(n))
    page = await store.list_jobs(None, None, 1, None, "created_at")
    with pytest.raises(InvalidParams):
        await store.list_jobs(None, None, 1, page["cursor"], "-filename")


async def test_search_folds_non_ascii_case(store: Store) -> None:
    store.save_job(make_job(1, filename="Ünïcode Straße.pdf"))
    store.save_job(make_job(2, filename="unicode strasse.pdf"))
    page = await store.list_jobs(None, "üNÏcode", 10, None, "created_at")
    assert [job["id"] for job in page["jobs"]] == ["job00001"]
    assert page["total"] == 1


async def test_many_statuses_with_search_and_short_terms(store: Store) -> None:
    for n in range(30):
        status = ["completed", "failed", "cancelled", "paused", "queued"][n % 5]
        store.save_job(make_job(n, status=status, url=f"https://h{n % 2}.example/f-{n}.bin"))
    page = await store.list_jobs(["paused", "queued"], "h1 example", 100, None, "-created_at")
    expected = [f"job{n:05d}" for n in reversed(range(30)) if n % 5 in (3, 4) and n % 2 == 1]
    assert [job["id"] for job in page["jobs"]] == expected
    assert page["total"] == len(expected)


async def test_text_search_counts_up_to_the_cap(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "COUNT_CAP", 5)
    for n in range(8):
        store.save_job(make_job(n, filename=f"song-{n}.mp3"))
    page = await store.list_jobs(None, "song", 3, None, "created_at")
    assert [job["id"] for job in page["jobs"]] == ["job00000", "job00001", "job00002"]
    assert (page["total"], page.get("total_capped")) == (5, True)
    monkeypatch.setattr(listing, "COUNT_CAP", 8)  # up to the cap, counts are exact
    page = await store.list_jobs(None, "song", 3, None, "created_at")
    assert (page["total"], page.get("total_capped")) == (8, None)
    assert len(await collect(store, "created_at", 3, query="song")) == 8
    # A status filter alone is always counted exactly.
    assert (await store.list_jobs(["completed"], None, 3, None, "created_at"))["total"] == 8
