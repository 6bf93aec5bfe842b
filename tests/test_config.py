from pathlib import Path

import pytest

from idmd.config import Config, ConfigError, load_config, to_toml
from idmd.paths import resolve_paths


def test_idm_home_puts_every_path_in_one_folder(tmp_path: Path) -> None:
    paths = resolve_paths({"IDM_HOME": str(tmp_path)})
    assert paths.config_file == tmp_path / "config.toml"
    assert paths.db_file == tmp_path / "idm.db"
    assert paths.daemon_file == tmp_path / "daemon.json"
    assert paths.token_file == tmp_path / "token"
    assert paths.downloads == tmp_path / "downloads"


def test_file_then_overrides(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('max_active = 5\nport = 9000\nallowed_origins = ["http://x.test"]\n')
    config = load_config(file, {"port": 0})
    assert config.max_active == 5
    assert config.port == 0
    assert config.allowed_origins == ("http://x.test",)


@pytest.mark.parametrize(
    "text, message",
    [
        ("nope = 1", "unknown config key 'nope'"),
        ("port = 'x'", "'port'"),
        ("connections = 99", "1..32"),
        ("port = [", "config.toml"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "config.toml"
    file.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_config(file)


def test_printed_config_reads_back_the_same(tmp_path: Path) -> None:
    config = Config().patched({"allowed_origins": ['http://a "b"'], "download_dir": "C:\\x"})
    file = tmp_path / "config.toml"
    file.write_text(to_toml(config))
    assert load_config(file) == config


def test_sizes_and_rates_take_units_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('speed_limit = "500K"\nmin_split = "2MiB"\n')

    config = load_config(path)

    assert (config.speed_limit, config.min_split) == (500 * 1024, 2 * 1024 * 1024)
    assert Config().patched({"speed_limit": "10MB"}).speed_limit == 10_000_000


def test_a_rate_in_an_unknown_form_says_the_expected_one(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('speed_limit = "fast"\n')

    with pytest.raises(ConfigError, match=r"'speed_limit': 'fast' is not a size: expected .*500K"):
        load_config(path)
