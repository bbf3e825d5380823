"""When to retransmit: a fixed schedule, then every ``interval`` seconds until the deadline.

Before the device has answered, transmissions follow the schedule (default 0, 0.2, 0.4, 0.5,
0.6, 0.8, 1.0, 1.2 s, then every 1 s: 16 in a 10 s message_timeout, as photons).

Once it has acked (or sent part of a reply) it has heard us and only the reply is missing.
The rule then: a lost reply gets as many more chances as a lost request would have had, and
no more resends of a message that changes the device than that:

- the number of resends left is what the schedule would still have sent before the deadline
  (``resends_left``), and they are spread evenly over the time left, so none comes sooner
  than needed (a Set the device acknowledged is re-applied that many times at most);
- a message that only asks (``Get*``, ``EchoRequest``: a resend changes nothing) is also
  resent at least every ``after_ack`` seconds (default 0.5 s), which gives more chances than
  the schedule (about 20 instead of 16 in 10 s) while still sending fewer packets than the
  schedule's 7 in the first second.

Not slower than that: under heavy loss the reply itself is lost, and only a resend brings
another one (at 30 % loss each way one transmission gets its reply with p = 0.49).
"""

from __future__ import annotations

import math
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

    def resends_left(self, since: float, until: float) -> int:
        """How many offsets of the schedule lie after ``since`` and before ``until``."""
        count = sum(1 for t in self.schedule if since < t < until)
        last = self.schedule[-1]
        step = self.interval
        # the tail: last + k * step for k >= 1
        first = 1 if since < last + step else math.floor((since - last) / step) + 1
        if last + first * step <= since:
            first += 1
        final = math.ceil((until - last) / step) - 1
        if final >= 1 and last + final * step >= until:
            final -= 1
        return count + max(0, final - first + 1)

    def acked_plan(
        self, last_sent: float, now: float, until: float, harmless: bool
    ) -> tuple[float, float]:
        """``(anchor, step)``: once acked, resend at ``anchor + k * step`` (k >= 1).

        Offsets count from the first send: ``last_sent`` is the last transmission, ``now`` when
        the ack was noticed, ``until`` the deadline; harmless: the message only asks. The
        resends are the ones the schedule had left after ``last_sent``, spread evenly (see
        the module). An ack noticed late (at the schedule's next slot, none between) starts
        them now.
        """
        left = self.resends_left(last_sent, until)
        step = (until - last_sent) / (left + 1)
        if harmless:
            step = min(step, self.after_ack)
        if last_sent + step >= now:
            return last_sent, step
        step = (until - now) / max(left, 1)
        if harmless:
            step = min(step, self.after_ack)
        return now - step, step


def repeats_harmlessly(name: str) -> bool:
    """A message that only asks: resending it changes nothing on the device."""
    return name.startswith("Get") or name == "EchoRequest"
