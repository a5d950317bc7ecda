"""A service's clock: real time, or — for trials, demos and tests only — real time moved forward by an offset that
someone outside the service sets while it runs.

A 公示 period lasts five or more working days; a training installation or a browser test cannot wait that long. Time
passing is nobody's action in the programme, so there is no endpoint to move it: the offset lives in a file named by
EXEMPLAR_CLOCK_OFFSET_FILE, holding a number of seconds (e.g. ``864000`` for ten days), read again on every call. No
variable (production): the clock is real time. The variable set but the file missing or empty: real time too, until
the file is written. A file that does not hold a non-negative number of seconds is refused on every reading
(ClockError names the file and what it holds): a clock must not silently fall back to another time."""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

Clock = Callable[[], datetime]
OFFSET_FILE_ENV = "EXEMPLAR_CLOCK_OFFSET_FILE"


class ClockError(RuntimeError):
    """The offset file holds something other than a non-negative number of seconds."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class OffsetClock:
    """Real time plus the offset read from `path` on each call (0 while the file is missing or empty)."""

    def __init__(self, path: str | Path, now: Clock = utc_now) -> None:
        self.path = Path(path)
        self._now = now

    def offset(self) -> timedelta:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return timedelta(0)
        if not text:
            return timedelta(0)
        try:
            seconds = float(text)
        except ValueError:
            raise ClockError(f"{OFFSET_FILE_ENV}: {self.path} holds {text[:40]!r}, not a number of seconds") from None
        if not math.isfinite(seconds) or seconds < 0:
            raise ClockError(f"{OFFSET_FILE_ENV}: {self.path} holds {text[:40]!r}; the offset is a non-negative "
                             f"number of seconds (the clock is only moved forward)")
        return timedelta(seconds=seconds)

    def __call__(self) -> datetime:
        return self._now() + self.offset()


def from_env(environ: Mapping[str, str] | None = None) -> Clock:
    """The clock the environment asks for: an OffsetClock when EXEMPLAR_CLOCK_OFFSET_FILE is set, else real time."""
    path = (os.environ if environ is None else environ).get(OFFSET_FILE_ENV, "").strip()
    return OffsetClock(path) if path else utc_now


def offset_note(clock: Clock) -> str | None:
    """For the startup log: what an offset clock reads now, or None for real time."""
    if not isinstance(clock, OffsetClock):
        return None
    try:
        moved = clock.offset()
    except ClockError as exc:
        return f"{exc} (every reading of the clock will be refused until it is fixed)"
    return (f"clock offset from {clock.path} (set by {OFFSET_FILE_ENV}): now {moved.total_seconds():g} s ahead of "
            f"real time; for trials, demos and tests only, never in production")
