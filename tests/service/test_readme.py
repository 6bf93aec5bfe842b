"""The README's config table stays true to the daemon's config."""

from __future__ import annotations

import re
from pathlib import Path

from idmd.config import Config, to_toml

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_config_key_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", README.read_text(), re.MULTILINE))
    defaults = dict(
        line.split(" = ", 1) for line in to_toml(Config()).splitlines() if not line.startswith("#")
    )

    assert rows == defaults
