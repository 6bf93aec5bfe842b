"""The event stream: one global seq, a retained window for replay, listeners."""

from idmd.events.bus import EventBus

__all__ = ["EventBus"]
