"""The add dialog's URL from the clipboard: only one URL is offered, read
through whatever clipboard tool the platform has (a stand-in here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from idm_tui.clipboard import clipboard_url, looks_like_url


def test_only_a_single_web_url_counts() -> None:
    assert looks_like_url("https://example.org/file.iso")
    assert looks_like_url("  http://127.0.0.1:8080/a?b=c  ")
    assert not looks_like_url("example.org/file.iso")
    assert not looks_like_url("https://a.org/x https://b.org/y")
    assert not looks_like_url("javascript:alert(1)")
    assert not looks_like_url("")
    assert not looks_like_url(None)


def fake_tool(folder: Path, name: str, output: str) -> None:
    tool = folder / name
    tool.write_text(f"#!/bin/sh\nprintf '%s' '{output}'\n")
    tool.chmod(0o755)


def test_the_clipboard_url_is_read_with_the_platforms_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert clipboard_url() is None  # no tool at all: nothing, and no error
    fake_tool(tmp_path, "xclip", "https://example.org/big.iso")
    assert clipboard_url() == "https://example.org/big.iso"
    fake_tool(tmp_path, "xclip", "just some words")
    assert clipboard_url() is None
