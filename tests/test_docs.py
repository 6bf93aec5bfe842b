"""Every relative link in the repository's Markdown resolves, inside the repository.

A reader who follows a link in README.md or docs/ must land on a file that
exists here (never one beside the checkout) and, with ``#anchor``, on a
heading of that page.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {"node_modules", "build", "dist"}

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*.md")):
        parts = path.relative_to(root).parts[:-1]
        if any(p.startswith(".") or p in SKIPPED_DIRS or p.endswith(".egg-info") for p in parts):
            continue
        found.append(path)
    return found


def prose(text: str) -> str:
    """The text without code blocks and code spans (a link there is an example)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    body = prose(text)
    return INLINE_LINK.findall(body) + REFERENCE_LINK.findall(body)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))  # a heading keeps its code spans
    return {slug(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)}


def broken_links(path: Path, root: Path) -> list[str]:
    """Each relative link of ``path`` that does not resolve, with the reason."""
    found = []
    for target in links(path.read_text(encoding="utf-8")):
        if SCHEME.match(target):
            continue  # http:, https:, mailto:: not checked here (tests never leave loopback)
        where, _, fragment = target.partition("#")
        resolved = (path.parent / where).resolve() if where else path
        rel = path.relative_to(root)
        if not resolved.is_relative_to(root):
            found.append(f"{rel}: {target} points outside the repository")
        elif not resolved.exists():
            found.append(f"{rel}: {target} does not exist")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            found.append(f"{rel}: {target} names no heading of {resolved.relative_to(root)}")
    return found


def test_every_relative_link_in_the_docs_resolves() -> None:
    files = markdown_files(ROOT)
    assert ROOT / "README.md" in files and ROOT / "docs" / "architecture.md" in files
    assert [problem for path in files for problem in broken_links(path, ROOT)] == []


def test_the_check_finds_missing_files_anchors_and_links_out_of_the_repository(
    tmp_path: Path,
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# Engine (`idmd.engine.Engine`)\n\n## Two words\n")
    page = tmp_path / "docs" / "b.md"
    page.write_text(
        "[ok](a.md) [ok](a.md#engine-idmdengineengine) [ok](#local) [web](https://example.com/x)\n"
        "# Local\n"
        "[gone](missing.md) [bad anchor](a.md#nope) [outside](../../elsewhere/NOTES.md)\n"
        "`[in code](nowhere.md)`\n\n```\n[in a block](nowhere.md)\n```\n"
        "[ref]: ./also-missing.md\n"
    )
    assert broken_links(page, tmp_path) == [
        "docs/b.md: missing.md does not exist",
        "docs/b.md: a.md#nope names no heading of docs/a.md",
        "docs/b.md: ../../elsewhere/NOTES.md points outside the repository",
        "docs/b.md: ./also-missing.md does not exist",
    ]
