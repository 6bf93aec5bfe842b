"""The manual: lint-clean under mandoc, and complete: every option of the real
parsers and every config key (with its default) is documented."""

from __future__ import annotations

import argparse
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from idmd.cli.main import build_parser as build_idm_parser
from idmd.config import FIELDS, Config, to_toml
from idmd.daemon import build_parser
from tests.conftest import require_tool
from tests.service.parsers import long_options, subcommands

MAN = Path(__file__).resolve().parents[2] / "man"
PAGES = ["idmd.1", "idm.1", "idm-tui.1", "idm-config.toml.5"]


@pytest.mark.parametrize("page", PAGES)
def test_the_page_is_lint_clean(page: str) -> None:
    mandoc = require_tool("mandoc")

    lint = subprocess.run(
        [mandoc, "-T", "lint", "-W", "warning", str(MAN / page)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert (lint.returncode, lint.stdout + lint.stderr) == (0, "")


def rendered(page: str) -> str:
    """The page as a reader sees it (overstrike bold and underline removed)."""
    text = subprocess.run(
        [require_tool("mandoc"), "-T", "ascii", str(MAN / page)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return re.sub(r".\x08", "", text)


@pytest.mark.parametrize("page", PAGES)
def test_the_page_has_the_sections_a_reader_looks_for(page: str) -> None:
    text = rendered(page)

    sections = ["NAME", "DESCRIPTION", "FILES", "EXAMPLES", "SEE ALSO"]
    if page.endswith(".1"):
        sections += ["SYNOPSIS", "ENVIRONMENT", "EXIT STATUS"]
    assert [s for s in sections if not re.search(rf"^{s}$", text, re.MULTILINE)] == []


def undocumented(parser: argparse.ArgumentParser, page: str) -> set[str]:
    text = rendered(page)
    return {o for o in long_options(parser) if not re.search(rf"{re.escape(o)}\b", text)}


def test_idmd_page_documents_every_option() -> None:
    assert undocumented(build_parser(), "idmd.1") == set()


def test_idm_tui_page_documents_every_option() -> None:
    from idm_tui.__main__ import build_parser as build_tui_parser

    assert undocumented(build_tui_parser(), "idm-tui.1") == set()


def test_idm_page_documents_every_command_and_option() -> None:
    parser = build_idm_parser()
    text = rendered("idm.1")
    assert undocumented(parser, "idm.1") == set()
    assert {
        c
        for c in subcommands(parser)
        if not re.search(rf"^\s+{re.escape(c)}\b", text, re.MULTILINE)
    } == set()


def test_the_config_page_describes_every_key() -> None:
    source = (MAN / "idm-config.toml.5").read_text()

    described = set(re.findall(r"^\.It Cm (\w+)", source, re.MULTILINE))

    assert described == set(FIELDS)


def test_the_config_page_shows_every_default_as_the_daemon_has_it() -> None:
    defaults = [line for line in to_toml(Config()).splitlines() if not line.startswith("#")]
    text = rendered("idm-config.toml.5")

    assert [
        line for line in defaults if not re.search(rf"^\s+{re.escape(line)}$", text, re.MULTILINE)
    ] == []


# How idm-tui.1 names the keys Textual calls by these names.
KEY_NAMES = {
    "space": "Space",
    "delete": "Delete",
    "enter": "Enter",
    "escape": "Escape",
    "plus": "+",
    "minus": "-",
    "slash": "/",
}


def test_idm_tui_page_documents_every_key_of_the_job_list() -> None:
    from idm_tui.screens.main import MainScreen

    keys = section(rendered("idm-tui.1"), "KEYS")
    missing = []
    for binding in MainScreen.BINDINGS:
        key = KEY_NAMES.get(binding.key, binding.key)  # type: ignore[union-attr]
        if key.isdigit():
            continue  # the tabs, documented as a range
        if not re.search(rf"(^|\s|,){re.escape(key)}(\s|,|$)", keys, re.MULTILINE):
            missing.append(key)

    assert missing == []


def section(text: str, name: str) -> str:
    match = re.search(rf"^{name}\n(.*?)(?=^\S)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no {name} section"
    return match.group(1)


def test_every_page_is_installed_with_the_package() -> None:
    pyproject = tomllib.loads((MAN.parent / "pyproject.toml").read_text())
    data_files = pyproject["tool"]["setuptools"]["data-files"]
    installed = {(folder, Path(f).name) for folder, files in data_files.items() for f in files}

    pages = sorted(MAN.glob("*.[1-8]"))
    assert pages
    assert {(f"share/man/man{p.suffix[1:]}", p.name) for p in pages} <= installed
