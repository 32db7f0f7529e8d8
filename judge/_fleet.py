"""A fleet of endpoints serving the same model: each request goes to the least busy one that is up.

A remote run with several base URLs (``ConnectionSettings.base_urls``) sends through one
``Fleet``; a run with one URL is a fleet of one, so both take the same path. Each endpoint has
its own client, its own ``concurrency`` slots and its own circuit breaker:

- **closed** (up): it takes requests while it has a free slot; of those that do, the one
  with the fewest requests in flight gets the next (ties: the one that has answered fewest);
- **open** (taken out): a request got no answer from it after all its retries (timeouts,
  refused connections, 429/5xx: ``NoAnswerError``), so it gets nothing for a cool-down that
  doubles with each failure in a row (``_FIRST_COOL_DOWN_S`` up to ``_MAX_COOL_DOWN_S``);
- **half-open**: once the cool-down is over it gets one request; an answer closes it, no
  answer opens it again.

A request's retries are spent on the endpoint that took it (each endpoint's own budget);
when they are spent, the pair moves to another endpoint that is up and that it has not tried,
so a dead endpoint's share goes to the others and no pair is judged twice. With no such
endpoint left the pair is handed on as failed, as with a single server. When every endpoint
is taken out, requests still go to the one whose cool-down ends first, so that a run with no
server up fails its pairs and stops (``max_consecutive_failures``) rather than waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import httpx

__all__ = ["Fleet", "FleetEndpoint"]

_FIRST_COOL_DOWN_S = 2.0
_MAX_COOL_DOWN_S = 60.0
# How often a request waiting for a slot looks again when no release wakes it: a cool-down
# ends by the clock, not by an event.
_LOOK_AGAIN_S = 0.1


@dataclass(eq=False)
class FleetEndpoint:
    """One endpoint of a fleet: its client, label and breaker state."""

    label: str
    """What judgments record: the URL without credentials or query (``endpoint_label``)."""
    client: httpx.AsyncClient
    in_flight: int = 0
    answered: int = 0
    failures_in_a_row: int = 0
    open_until: float | None = None
    """While set, the breaker is open until this ``time.monotonic()`` reading."""
    cool_down_s: float = field(default=_FIRST_COOL_DOWN_S)

    def state(self, now: float) -> str:
        """ "closed", "open" or "half-open" (the cool-down is over: one trial request)."""
        if self.open_until is None:
            return "closed"
        return "half-open" if now >= self.open_until else "open"


class Fleet:
    """Hands each request an endpoint (``take``) and hears how it went (``give_back``)."""

    def __init__(
        self,
        endpoints: Sequence[FleetEndpoint],
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not endpoints:
            raise ValueError("a fleet needs at least one endpoint")
        self.endpoints = list(endpoints)
        self._slots = concurrency
        self._clock = clock
        self._changed = asyncio.Condition()

    async def take(self, tried: Collection[FleetEndpoint] = ()) -> FleetEndpoint:
        """The endpoint for a request that has already failed on ``tried``, waiting for a
        free slot; its slot is held until ``give_back``."""
        async with self._changed:
            while True:
                chosen = self._pick(tried)
                if chosen is not None:
                    chosen.in_flight += 1
                    return chosen
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), _LOOK_AGAIN_S)

    async def give_back(self, endpoint: FleetEndpoint, *, answered: bool) -> None:
        """Free the request's slot; ``answered`` False (no answer after every retry) takes
        the endpoint out for its cool-down, True puts it back."""
        async with self._changed:
            endpoint.in_flight -= 1
            if answered:
                endpoint.answered += 1
                endpoint.failures_in_a_row = 0
                endpoint.open_until = None
                endpoint.cool_down_s = _FIRST_COOL_DOWN_S
            else:
                endpoint.failures_in_a_row += 1
                endpoint.open_until = self._clock() + endpoint.cool_down_s
                endpoint.cool_down_s = min(endpoint.cool_down_s * 2, _MAX_COOL_DOWN_S)
            self._changed.notify_all()

    def drop(self, endpoint: FleetEndpoint) -> None:
        """Free the slot of a request that was cancelled: it says nothing of the endpoint."""
        endpoint.in_flight -= 1

    def can_move(self, tried: Collection[FleetEndpoint]) -> bool:
        """Whether a request that got no answer from ``tried`` has an endpoint left that is
        up (closed or half-open) to move to."""
        now = self._clock()
        return any(e.state(now) != "open" for e in self.endpoints if e not in tried)

    def _pick(self, tried: Collection[FleetEndpoint]) -> FleetEndpoint | None:
        now = self._clock()
        untried = [e for e in self.endpoints if e not in tried] or self.endpoints
        up = [e for e in untried if e.state(now) == "closed"]
        # A half-open endpoint takes one trial request at a time.
        up += [e for e in untried if e.state(now) == "half-open" and e.in_flight == 0]
        if not any(e.state(now) != "open" for e in self.endpoints):
            # Every endpoint is out: the one back soonest takes the request.
            up = [min(untried, key=lambda e: e.open_until or 0.0)]
        free = [e for e in up if e.in_flight < self._slots]
        if not free:
            return None
        return min(free, key=lambda e: (e.in_flight, e.answered))

    def answered(self) -> dict[str, int]:
        """Requests each endpoint answered so far, by label."""
        return {e.label: e.answered for e in self.endpoints}
