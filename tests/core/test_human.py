"""How sizes, speeds, times left and percentages read, the same in ``idm`` and ``idm-tui``."""

from __future__ import annotations

from idm_tui.widgets.cells import row_cells
from idmd.cli.format import job_row, progress_line
from idmd.core.human import human_eta, human_percent, human_size, human_speed


def test_sizes_use_binary_units_with_three_digits_and_unknown_reads_as_a_dash() -> None:
    assert human_size(0) == "0 B"
    assert human_size(1023) == "1023 B"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(5 * 1024**3) == "5.0 GiB"
    assert human_size(250 * 1024**2) == "250 MiB"
    assert human_size(3 * 1024**5) == "3.0 PiB"
    assert human_size(None) == "–"


def test_a_speed_of_nothing_reads_as_zero_and_an_unknown_one_as_a_dash() -> None:
    assert human_speed(2 * 1024**2) == "2.0 MiB/s"
    assert human_speed(0) == "0 B/s"
    assert human_speed(None) == "–"


def test_eta_reads_like_a_clock() -> None:
    assert human_eta(5) == "0:05"
    assert human_eta(75) == "1:15"
    assert human_eta(3700) == "1:01:40"
    assert human_eta(2 * 86400 + 3 * 3600) == "2d 03h"
    assert human_eta(None) == "–"
    assert human_eta(float("inf")) == "–"


def test_percent_never_rounds_up_to_a_false_100() -> None:
    assert human_percent(999, 1000) == "99.9%"
    assert human_percent(9999, 10000) == "99.9%"
    assert human_percent(1000, 1000) == "100%"
    assert human_percent(10, None) == "–"
    assert human_percent(10, None, "completed") == "100%"


def test_the_cli_and_the_tui_show_a_job_with_the_same_numbers() -> None:
    job = {
        "id": "a",
        "status": "downloading",
        "filename": "big.iso",
        "size": 300 * 1024**2,
        "done": 150 * 1024**2 - 1,
        "speed": 1536 * 1024,
        "eta": 4000,
        "connections": 4,
    }
    cells = {key: str(getattr(value, "plain", value)) for key, value in row_cells(job).items()}
    row = job_row(job)
    line = progress_line(job, 120)
    assert cells["size"] == row[3] == "300 MiB" and "/300 MiB" in line
    assert cells["percent"] == row[2] == "49.9%" and " 49.9% " in line
    assert cells["speed"] == row[4] == "1.5 MiB/s" and " 1.5 MiB/s " in line
    assert cells["eta"] == "1:06:40" and "ETA 1:06:40" in line
