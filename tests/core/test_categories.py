"""The category rules alone: which category a (filename, MIME type, host) gets, and
which config tables are refused (no sockets, no files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from idmd.config import Config, ConfigError
from idmd.core import actions, categories
from idmd.core.categories import CategoryError, parse, pick


def name_of(found: categories.Category | None) -> str | None:
    return found.name if found else None


@pytest.mark.parametrize(
    ("filename", "mime", "expected"),
    [
        ("backup.ZIP", "", "Compressed"),
        ("src.tar.gz", "", "Compressed"),
        ("paper.pdf", "application/octet-stream", "Documents"),
        ("song.flac", "", "Music"),
        ("setup.exe", "", "Programs"),
        ("clip.mkv", "", "Video"),
        ("download", "video/mp4; codecs=avc1", "Video"),  # no extension: the type decides
        ("download", "audio/ogg", "Music"),
        (
            "report",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Documents",
        ),
        ("data.bin", "application/octet-stream", None),
        ("", "", None),
    ],
)
def test_the_defaults_sort_like_idm(filename: str, mime: str, expected: str | None) -> None:
    assert name_of(pick(parse({}), filename, mime, "example.org")) == expected


def test_a_site_rule_wins_over_the_extension_and_globs_cover_the_domain() -> None:
    rules = parse({"Work": {"hosts": ["*.corp.example"], "folder": "Work"}})
    assert name_of(pick(rules, "a.zip", "application/zip", "files.corp.example")) == "Work"
    assert (
        name_of(pick(rules, "a.zip", "", "CORP.example.")) == "Work"
    )  # the domain itself, any case
    assert name_of(pick(rules, "a.zip", "", "other.example")) == "Compressed"


def test_user_categories_come_before_the_defaults_and_change_them() -> None:
    rules = parse({"Books": {"extensions": ["PDF", ".epub"]}, "Video": {"folder": "Films"}})
    assert [c.name for c in rules][:2] == ["Books", "Compressed"]
    assert name_of(pick(rules, "x.pdf")) == "Books"  # Documents also has pdf: the user's rule wins
    video = categories.find(rules, "video")
    assert video is not None and video.folder == "Films" and "mkv" in video.extensions
    assert categories.folder_of(video, Path("/d")) == Path("/d/Films")
    no_music = parse({"Music": {"extensions": [], "mime": []}})
    assert name_of(pick(no_music, "song.mp3", "audio/mpeg")) is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"X": {"folder": "../up"}}, "leaves the download folder"),
        ({"X": {"folder": "a/../../up"}}, "leaves the download folder"),
        ({"X": {"folder": "/etc"}}, "outside the download folder"),
        ({"X": {"colour": "red"}}, "unknown key 'colour'"),
        ({"X": {"extensions": "zip"}}, "must be a list of strings"),
        ({"a/b": {}}, "without slashes"),
        ({"X": "Video"}, "must be a table"),
    ],
)
def test_bad_tables_are_refused_with_the_key_named(table: dict, message: str) -> None:
    with pytest.raises(CategoryError, match=message):
        categories.check_folders(parse(table), Path("/srv/downloads"), [])


def test_an_absolute_folder_inside_the_download_folder_or_allowed_dirs_is_fine(
    tmp_path: Path,
) -> None:
    inside = tmp_path / "dl" / "Films"
    other = tmp_path / "nas"
    categories.check_folders(parse({"V": {"folder": str(inside)}}), tmp_path / "dl", [])
    categories.check_folders(parse({"V": {"folder": str(other / "x")}}), None, [other])
    with pytest.raises(CategoryError, match="outside"):
        categories.check_folders(parse({"V": {"folder": str(other)}}), tmp_path / "dl", [])


def test_a_symlinked_folder_that_points_outside_is_outside(tmp_path: Path) -> None:
    (tmp_path / "dl").mkdir()
    (tmp_path / "dl" / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CategoryError, match="outside"):
        categories.check_folders(
            parse({"V": {"folder": str(tmp_path / "dl" / "link")}}), tmp_path / "dl", []
        )


def test_the_config_refuses_a_category_folder_outside_the_download_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"categories\.Films\.folder: '/etc/films' is outside"):
        Config(download_dir=str(tmp_path)).patched(
            {"categories": {"Films": {"folder": "/etc/films"}}}
        )
    with pytest.raises(ConfigError, match=r"actions\.stash\.move: '\.\./x' leaves"):
        Config().patched({"actions": {"stash": {"move": "../x"}}})
    with pytest.raises(ConfigError, match="no action 'unzip'"):
        Config().patched({"categories": {"Compressed": {"after": "unzip"}}})
    with pytest.raises(ConfigError, match="webhook_url"):
        Config().patched({"webhook_url": "ftp://x"})
    ok = Config().patched(
        {
            "categories": {"Compressed": {"after": "unzip"}},
            "actions": {"unzip": {"run": ["unzip", "-o", "{path}"], "timeout": 60}},
        }
    )
    assert ok.categories["Compressed"]["after"] == "unzip"


def test_actions_build_argv_without_a_shell() -> None:
    path = Path("/d/a {name} b.zip")
    assert actions.argv(["tool", "-x"], path, "j1") == ["tool", "-x", "/d/a {name} b.zip"]
    assert actions.argv(["tool", "{path}", "--to={dir}", "{id}:{name}"], path, "j1") == [
        "tool",
        "/d/a {name} b.zip",
        "--to=/d",
        "j1:a {name} b.zip",
    ]
    with pytest.raises(actions.ActionError, match="does nothing"):
        actions.parse({"x": {}})
    with pytest.raises(actions.ActionError, match="list of strings"):
        actions.parse({"x": {"run": "rm -rf /"}})
    with pytest.raises(actions.ActionError, match="timeout"):
        actions.parse({"x": {"run": ["true"], "timeout": 0}})
