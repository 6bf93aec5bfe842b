"""Where idm keeps its files.

platformdirs decides every path; ``IDM_HOME=DIR`` puts them all in one folder
(tests and side-by-side instances use that).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True)
class Paths:
    config_file: Path
    db_file: Path
    daemon_file: Path
    token_file: Path
    log_file: Path
    lock_file: Path
    downloads: Path

    @property
    def state_dir(self) -> Path:
        return self.daemon_file.parent

    def ensure(self) -> None:
        """Create the folders (not the downloads folder: that is made on first use)."""
        for path in (self.config_file, self.db_file, self.daemon_file, self.log_file):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)


def resolve_paths(env: dict[str, str] | None = None) -> Paths:
    env = dict(os.environ) if env is None else env
    home = env.get("IDM_HOME")
    if home:
        root = Path(home).expanduser().resolve()
        return Paths(
            config_file=root / "config.toml",
            db_file=root / "idm.db",
            daemon_file=root / "daemon.json",
            token_file=root / "token",
            log_file=root / "idmd.log",
            lock_file=root / "idmd.lock",
            downloads=root / "downloads",
        )
    dirs = platformdirs.PlatformDirs("idm", appauthor=False)
    state = Path(dirs.user_state_dir)
    downloads = Path(platformdirs.user_downloads_dir() or Path.home() / "Downloads")
    return Paths(
        config_file=Path(dirs.user_config_dir) / "config.toml",
        db_file=Path(dirs.user_data_dir) / "idm.db",
        daemon_file=state / "daemon.json",
        token_file=state / "token",
        log_file=Path(dirs.user_log_dir) / "idmd.log",
        lock_file=state / "idmd.lock",
        downloads=downloads,
    )
