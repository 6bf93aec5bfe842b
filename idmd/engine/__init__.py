"""The download engine: ``Engine`` is the API, runners move the bytes.

See docs/internals.md (Engine, Runners) for the contracts.
"""

from idmd.engine.manager import Engine

__all__ = ["Engine"]
