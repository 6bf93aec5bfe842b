"""One request in flight, and only the latest wish waiting behind it.

Search as you type asks the daemon for a new page after every pause in the
typing. A slow answer must not pile up requests (one ``jobs.list`` per key)
nor show an old query's rows last: while one request runs, a newer wish
replaces any wish already waiting, and an answer that has a newer wish
behind it is stale. Pure: the screen sends, this only keeps the count.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class LatestWins(Generic[T]):
    """``ask`` says whether to send now; ``done`` gives the wish to send next, if any."""

    def __init__(self) -> None:
        self.busy = False
        self.waiting: T | None = None

    def ask(self, wish: T) -> bool:
        """True: send ``wish`` now. False: it waits, replacing any older waiting wish."""
        if self.busy:
            self.waiting = wish
            return False
        self.busy = True
        return True

    @property
    def stale(self) -> bool:
        """The answer in flight has a newer wish behind it: do not show it."""
        return self.waiting is not None

    def done(self) -> T | None:
        """The request in flight ended (answered or failed); the next wish to send, if any."""
        wish, self.waiting = self.waiting, None
        self.busy = wish is not None
        return wish
