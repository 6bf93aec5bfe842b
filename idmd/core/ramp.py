"""How many connections one download should hold open: more only while more pays.

Where one or two connections already take the whole link (loopback, a
server or line that caps the client as a whole), every further connection
costs a request, buffers and CPU and gains nothing; where a server caps each
connection, every connection added brings its share. Which of the two a link
is shows only by trying, so the count is found as the download runs: start
with ``START`` connections, double while the aggregate speed grows by at
least ``MARGIN`` per step (quadruple after a step where it grew in
proportion), go back to the last count that paid where it stops growing
(once a second measurement says the same: a new connection's first moments
and a busy machine make one measurement doubtful), and try again later
(after ``PROBE_AFTER`` seconds, twice as long after each try that gained
nothing) in case the link got faster. The job's ``connections`` option stays
the ceiling.

Two refinements keep the climb short and its top low:

- The first measurement starts at once (no connection had another count
  before), and it and any step whose speed grew in proportion are judged as
  soon as every connection has shown its pace (``EARLY_WRITES`` writes,
  ``EARLY`` seconds), not after the full ``WINDOW``: on a link that caps each
  connection the climb to the ceiling costs about half as long. A first
  measurement whose connections still speed up (TCP's slow start), and any
  step less clear, still wait for the window.
- A x4 step that gained but less than half of what its connections would
  alone went past the knee: the speed it reached needs at most half its
  connections, so the doubling it skipped is tried, and kept when it is as
  fast (within ``MARGIN``); otherwise the count goes back up.

Pure arithmetic on samples, no clock of its own: ``idmd.engine.http.connections``
reports every write of every connection and the number of connections open,
and opens or retires connections to follow ``target``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

START = 2  # connections at the start (the ceiling if lower)
MARGIN = 0.10  # a step (double the connections) must bring at least 10% more speed
SETTLE = 0.1  # seconds after the count changes before measuring: new requests, TCP's ramp-up
WINDOW = 0.3  # seconds: the shortest measurement of one count
# A measurement waits until every connection wrote twice (its pace is then known exactly),
# but no longer than this; a connection still silent by then counts at its average.
MAX_WINDOW = 2.0
LINEAR = 0.8  # a step that brought 80% of the speed the new connections would alone: x4 next
# A step that grew in proportion is judged once every connection wrote this often in the
# measurement (its pace then rests on two gaps, not one), and no sooner than EARLY seconds.
EARLY = 0.1
EARLY_WRITES = 3
STEADY = 0.67  # a connection whose first gap's pace is 2/3 of its pace since is not speeding up
PROBE_AFTER = 3.0  # seconds at a count before trying more again
MAX_PROBE_AFTER = 30.0  # the longest wait between tries (it doubles after each that failed)


@dataclass
class Meter:
    """One connection's writes within the present measurement."""

    first: float | None = None  # when its first write of the window came
    last: float = 0.0  # when its latest write came
    after_first: int = 0  # bytes written after the first write
    total: int = 0  # bytes written in the window, the first write's included
    writes: int = 0
    first_gap: float = 0.0  # the pace between its first two writes

    def add(self, now: float, n: int) -> None:
        self.writes += 1
        if self.first is None:
            self.first = self.last = now
        else:
            if self.writes == 2 and now > self.first:
                self.first_gap = n / (now - self.first)
            self.last = now
            self.after_first += n
        self.total += n

    @property
    def steady(self) -> bool:
        """Whether its pace did not grow since its first gap (TCP's slow start makes it grow)."""
        return self.paced and self.first_gap >= STEADY * self.rate(0.0, 0.0)

    @property
    def paced(self) -> bool:
        """Whether it wrote at least twice: its pace is the bytes between two writes."""
        return self.first is not None and self.last > self.first

    def rate(self, since: float, now: float) -> float:
        if self.paced:
            assert self.first is not None
            return self.after_first / (self.last - self.first)
        return self.total / max(now - since, 1e-9)


@dataclass(frozen=True)
class Level:
    """A count of connections and the aggregate speed measured with it (bytes per second)."""

    count: int
    rate: float


@dataclass
class Ramp:
    """Decides how many connections to hold: see the module's docstring.

    ``wrote(conn, now, n)`` for every write of every connection,
    ``observe(now, count)`` regularly (it returns ``target``), and
    ``unreachable(now, count)`` when the engine could not open more than
    ``count`` (no piece left to split, no free slot for the host).
    """

    ceiling: int  # the job's connections option: never more
    start: int = START
    target: int = 0
    reason: str = ""  # why the target last changed, for the job's log
    base: Level | None = None  # the highest count that paid, and its latest speed
    count: int = -1  # the count being measured
    since: float = 0.0  # when the present measurement started (no writes count before)
    hold_until: float = 0.0  # no try for more before this
    probe_after: float = PROBE_AFTER
    doubt: bool = False  # the present count measured once no faster: measured again
    above: Level | None = None  # a step past the knee, while the count below it is tried
    meters: dict[int, Meter] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ceiling = max(1, self.ceiling)
        self.target = max(1, min(self.start, self.ceiling))

    def wrote(self, conn: int, now: float, n: int) -> None:
        if now >= self.since:
            self.meters.setdefault(conn, Meter()).add(now, n)

    def observe(self, now: float, count: int) -> int:
        """The number of connections to hold from now on, given ``count`` open now."""
        if count != self.count:
            self._measure_from(now if self.count <= 0 else now + SETTLE)  # none open before
            self.count = count
            self.doubt = False
            return self.target
        elapsed = now - self.since
        if elapsed < WINDOW and not self._clear_early(now, count):
            return self.target
        paced = sum(1 for m in self.meters.values() if m.paced)
        if paced < count and elapsed < MAX_WINDOW:
            return self.target
        rate = self._rate(now)
        self._measure_from(now)
        if count == self.target:  # a count on the way up or down is not judged
            self._judge(now, count, rate)
        return self.target

    def _rate(self, now: float) -> float:
        return sum(m.rate(self.since, now) for m in self.meters.values())

    def _clear_early(self, now: float, count: int) -> bool:
        """Whether the present count can be judged before the full window: every connection
        has shown its pace, and this is the first measurement with steady connections, or a
        step up that grew the speed in proportion."""
        if count != self.target or now - self.since < EARLY or len(self.meters) < count:
            return False
        if any(m.writes < EARLY_WRITES for m in self.meters.values()):
            return False
        base = self.base
        if base is None:
            return all(m.steady for m in self.meters.values())
        # Paces alone can mislead: writes bunched after a stalled loop look fast. The window's
        # bytes over its length must say the same.
        average = sum(m.total for m in self.meters.values()) / (now - self.since)
        return count > base.count and _in_proportion(min(self._rate(now), average), base, count)

    def unreachable(self, now: float, count: int) -> None:
        """The engine cannot open more than ``count`` connections now: hold there, try later."""
        if self.target > count:
            self._set(max(1, count), f"no more than {count} could be opened")
            self._hold(now)

    def _judge(self, now: float, count: int, rate: float) -> None:
        above = self.above
        if above is not None:
            self.above = None
            if count < above.count:
                self._judge_below(now, count, rate, above)
                return
        base = self.base
        if base is not None and count > base.count:
            if rate >= base.rate * (1 + MARGIN):
                self.doubt = False
                self.base = Level(count, rate)
                self.probe_after = PROBE_AFTER
                half = count // 2
                if half > base.count and rate <= base.rate / base.count * half:
                    # Past the knee: the speed reached needs half the connections or fewer.
                    self.above = Level(count, rate)
                    self._set(
                        half,
                        f"{count} connections were only {_gain(rate, base.rate)} faster than "
                        f"{base.count}: trying {half}",
                    )
                    return
                # Speed in proportion to the connections: each is capped on its own, so the
                # next step is bigger (fewer seconds spent below what the link allows).
                self._grow(
                    f"{count} connections were {_gain(rate, base.rate)} faster than {base.count}",
                    4 if _in_proportion(rate, base, count) else 2,
                )
            elif not self.doubt:
                self.doubt = True
            else:
                self.doubt = False
                self._set(
                    base.count,
                    f"{count} connections were not faster than {base.count} "
                    f"({_gain(rate, base.rate)})",
                )
                self._hold(now)
            return
        self.base = Level(count, rate)  # the link's speed at this count, as it is now
        if now >= self.hold_until:
            self._grow(f"trying more than {count} connections")

    def _judge_below(self, now: float, count: int, rate: float, above: Level) -> None:
        """The count below a step that went past the knee: kept if it is as fast."""
        if rate >= above.rate * (1 - MARGIN):
            self.base = Level(count, rate)
            self.reason = (
                f"{count} connections were as fast as {above.count} ({_gain(rate, above.rate)})"
            )
            self._hold(now)
        else:
            self.base = above
            self._set(
                above.count,
                f"{count} connections were slower than {above.count} ({_gain(rate, above.rate)})",
            )

    def _grow(self, why: str, factor: int = 2) -> None:
        if self.target < self.ceiling:
            self._set(min(self.ceiling, factor * self.target), why)

    def _hold(self, now: float) -> None:
        self.hold_until = now + self.probe_after
        self.probe_after = min(2 * self.probe_after, MAX_PROBE_AFTER)

    def _set(self, target: int, why: str) -> None:
        self.target = target
        self.reason = why.strip()

    def _measure_from(self, at: float) -> None:
        self.since = at
        self.meters.clear()


def _in_proportion(rate: float, base: Level, count: int) -> bool:
    """Whether ``rate`` at ``count`` connections is what ``base`` scaled to them would give."""
    return rate >= base.rate * count / base.count * LINEAR


def _gain(rate: float, before: float) -> str:
    return f"{(rate / before - 1) * 100:+.0f}%" if before > 0 else "+inf%"
