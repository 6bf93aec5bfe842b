"""A job's row: what each column says, and that a row always fits its width."""

from __future__ import annotations

from idm_tui.widgets.cells import columns_for, row_cells
from idm_tui.widgets.job_table import FIXED, row_text

MiB = 1024 * 1024


def plain(cells: dict) -> dict[str, str]:
    return {key: str(getattr(value, "plain", value)) for key, value in cells.items()}


def test_a_downloading_row_shows_progress_speed_eta_and_connections() -> None:
    job = {
        "id": "a",
        "status": "downloading",
        "filename": "big.iso",
        "size": 100 * MiB,
        "done": 25 * MiB,
        "speed": 2 * MiB,
        "eta": 37,
        "connections": 8,
    }
    cells = plain(row_cells(job))
    assert cells["name"] == "big.iso" and cells["size"] == "100 MiB" and cells["percent"] == "25.0%"
    assert cells["speed"] == "2.0 MiB/s" and cells["eta"] == "0:37" and cells["conns"] == "8"
    assert cells["bar"].startswith("████") and cells["status"] == "downloading"


def test_a_paused_row_shows_no_stale_speed_and_unknown_sizes_read_as_dashes() -> None:
    job = {
        "id": "b",
        "status": "paused",
        "url": "http://x/y",
        "size": None,
        "done": 0,
        "speed": 5,
        "eta": 3,
        "connections": 2,
    }
    cells = plain(row_cells(job))
    assert cells["name"] == "http://x/y" and cells["size"] == "–" and cells["percent"] == "–"
    assert cells["speed"] == cells["eta"] == cells["conns"] == ""


def test_rows_keep_their_width_and_cut_long_names_with_an_ellipsis() -> None:
    job = {"id": "c", "status": "completed", "filename": "x" * 300, "size": 10, "done": 10}
    line = row_text(row_cells(job, name_width=20), 20)
    assert line.cell_len == FIXED + 20
    assert "…" in line.plain and "100%" in line.plain


def test_a_job_s_category_follows_its_name_and_survives_a_long_name() -> None:
    job = {
        "id": "d",
        "status": "completed",
        "filename": "backup.zip",
        "size": 10,
        "done": 10,
        "category": "Compressed",
    }
    assert plain(row_cells(job))["name"] == "backup.zip · Compressed"
    long = {**job, "filename": "y" * 300}
    name = plain(row_cells(long, name_width=30))["name"]
    assert len(name) <= 30 and name.endswith("… · Compressed")
    assert row_text(row_cells(long, name_width=30), 30).cell_len == FIXED + 30


def test_the_details_list_the_category() -> None:
    from idm_tui.screens.details import field_rows

    rows = dict(field_rows({"id": "d", "status": "completed", "category": "Video"}))
    assert rows["category"] == "Video"
    assert "category" not in dict(field_rows({"id": "e", "status": "completed"}))


def test_in_a_fleet_the_node_column_shows_where_room_allows_and_goes_before_the_eta() -> None:
    assert "node" not in [key for key, _, _ in columns_for(140)]
    wide = [key for key, _, _ in columns_for(140, fleet=True)]
    assert wide[-2:] == ["node", "status"]
    narrow = [key for key, _, _ in columns_for(80, fleet=True)]
    assert "node" not in narrow and {"name", "bar", "speed", "status"} <= set(narrow)
    job = {"id": "j1", "status": "completed"}
    assert plain(row_cells(job, node="n2"))["node"] == "n2"  # no event named another node
    assert plain(row_cells({**job, "node": "n1"}, node="n2"))["node"] == "n1"
