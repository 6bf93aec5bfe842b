"""The download engine: ``Engine`` is the API, runners move the bytes.

See docs/internals.md (Engine, Runners) for the contracts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idmd.engine.manager import Engine

__all__ = ["Engine"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that the media worker process (``python -m
    # idmd.engine.media_worker``) does not pay for aiohttp and the whole engine.
    if name == "Engine":
        from idmd.engine.manager import Engine

        return Engine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
