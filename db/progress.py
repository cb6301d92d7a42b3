"""Progress of a long data-set import: its phase, how far it is, and how long is left."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Phase(StrEnum):
    READING = "reading"  # the file's bytes, and parsing them (counted in bytes)
    VALIDATING = "validating"  # each record against the schema (counted in records)
    PLANNING = "planning"  # each record against what the database holds (records)
    WRITING = "writing"  # the records that change (records)


# Called with the phase, how much of it is done and its total; each phase starts at 0.
Progress = Callable[[Phase, int, int], None]


@dataclass
class PhaseClock:
    """Estimates the time a phase has left from its pace so far."""

    clock: Callable[[], float] = time.monotonic
    _phase: Phase | None = field(default=None, init=False)
    _started: float = field(default=0.0, init=False)

    def remaining(self, phase: Phase, done: int, total: int) -> float | None:
        """Seconds left in `phase`, or None while there is no pace to go by yet."""
        now = self.clock()
        if phase != self._phase:
            self._phase, self._started = phase, now
        if done >= total:
            return 0.0
        if done <= 0 or now <= self._started:
            return None
        return (now - self._started) / done * (total - done)
