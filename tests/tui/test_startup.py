"""Cold start: the first frame must not wait for the network stack.

``idm_tui.app`` imports Textual but not aiohttp (``idmd.client`` is loaded
after the first paint, see ``idm_tui.link``), and ``--help`` imports neither.
"""

from __future__ import annotations

import subprocess
import sys

from tests.tui.tmux import REPO


def modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=60,
    )
    return set(out.stdout.split())


def test_the_app_module_does_not_load_the_network_stack() -> None:
    loaded = modules_after("import idm_tui.app")
    assert "textual.app" in loaded
    assert "aiohttp" not in loaded and "idmd.client" not in loaded


def test_help_loads_neither_textual_nor_aiohttp() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "idm_tui", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=60,
    )
    assert "--no-autostart" in out.stdout
    loaded = modules_after("import idm_tui.__main__")
    assert "textual" not in loaded and "aiohttp" not in loaded
