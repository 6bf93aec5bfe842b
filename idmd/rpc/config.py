"""``config.*``: the effective configuration, patched at run time."""

from __future__ import annotations

import logging
from typing import Any

from idmd.config import ConfigError
from idmd.core.proxyurl import masked
from idmd.protocol.checks import bad
from idmd.rpc.namespace import Namespace
from idmd.rpc.scope import check_config_patch

log = logging.getLogger(__name__)


class Config(Namespace):
    def get(self) -> dict[str, Any]:
        """The effective config (file + command line + patches); the proxy's password masked."""
        return self._ctx.config.public()

    def set(self, patch: dict[str, Any]) -> dict[str, Any]:
        """Apply ``patch`` at once where possible and keep
        it (runtime.toml); returns the effective config."""
        check_config_patch(self._peer, patch)
        current = self._ctx.config.proxy
        if current and patch.get("proxy") == masked(current) != current:
            patch = {**patch, "proxy": current}  # the masked value sent back: the password is kept
        try:
            restart = self._ctx.patch_config(patch)
        except ConfigError as exc:
            key = next((k for k in patch if repr(k) in str(exc) or k in str(exc)), "patch")
            raise bad(f"patch.{key}" if key != "patch" else key, str(exc)) from None
        if restart:
            log.warning(
                "config changed; these keys take effect after a restart: %s", ", ".join(restart)
            )
        return self._ctx.config.public()
