"""The history store: SQLite (WAL) off the event loop. See ``store.Store``."""

from idmd.store.schema import StoreError
from idmd.store.store import Store

__all__ = ["Store", "StoreError"]
