"""When to retransmit: a fixed schedule, then every ``interval`` seconds until the deadline.

Once the device has acked (or sent part of a reply) it has heard us, so resends slow to one
every ``after_ack`` seconds instead of several a second. Not slower than that: under heavy
loss the reply itself can be lost, and only a resend brings another one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise

from ..errors import InvalidScript

DEFAULT_SCHEDULE = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2)
DEFAULT_INTERVAL = 1.0
DEFAULT_AFTER_ACK = 0.5


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Offsets (seconds after the first send) of every transmission of one request."""

    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    interval: float = DEFAULT_INTERVAL
    after_ack: float = DEFAULT_AFTER_ACK

    @classmethod
    def build(
        cls, schedule: Sequence[float], interval: float, after_ack: float = DEFAULT_AFTER_ACK
    ) -> RetrySchedule:
        """Validate user input: offsets start at 0, never decrease; intervals are positive."""
        try:
            offsets = tuple(float(t) for t in schedule)
            step = float(interval)
            acked_step = float(after_ack)
        except (TypeError, ValueError):
            raise InvalidScript(
                f"retry_schedule must be numbers, retry_interval and ack_retry_interval "
                f"numbers, not {schedule!r} / {interval!r} / {after_ack!r}"
            ) from None
        if not offsets or offsets[0] != 0:
            raise InvalidScript(f"retry_schedule must start at 0, not {schedule!r}")
        if any(b < a for a, b in pairwise(offsets)):
            raise InvalidScript(f"retry_schedule must not decrease: {schedule!r}")
        if not step > 0:
            raise InvalidScript(f"retry_interval must be positive, not {interval!r}")
        if not acked_step > 0:
            raise InvalidScript(f"ack_retry_interval must be positive, not {after_ack!r}")
        return cls(offsets, step, acked_step)

    def offsets(self) -> Iterator[float]:
        """Endless: the schedule, then its last offset plus multiples of the interval."""
        yield from self.schedule
        t = self.schedule[-1]
        while True:
            t += self.interval
            yield t
