"""Overload control shared by the API and the MCP server: shed excess load early, as 503 + Retry-After.

Each process has ``db_pool_size`` database connections for requests. ``AdmissionGate`` lets at most
that many requests use the database at once, queues up to ``db_queue_size`` more for at most
``db_queue_timeout_seconds`` (waiting costs no thread and no connection), and refuses the rest at
once with ``Overloaded``. Both services answer ``Overloaded`` and a pool checkout timeout the same
way: 503, ``Retry-After``, a JSON body with the request id, and the connection kept open.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from todo.core.http import error_body
from todo.core.settings import CoreSettings

# Seconds a refused client should wait: about how long the queue takes to drain at full speed.
RETRY_AFTER_SECONDS = 1
# What a client is told when a pooled connection did not come free within the pool's timeout.
POOL_TIMEOUT_DETAIL = (
    f"server busy: no database connection came free in time; retry in {RETRY_AFTER_SECONDS} s"
)

__all__ = [
    "POOL_TIMEOUT_DETAIL",
    "RETRY_AFTER_SECONDS",
    "AdmissionGate",
    "Overloaded",
    "ShedWhenFull",
    "PoolTimeout",
    "overloaded_response",
]


class Overloaded(Exception):
    """The process has no capacity for this request now; the message says why, for the client."""


class AdmissionGate:
    """At most ``limit`` holders at once; up to ``queue_size`` waiters for ``timeout`` s; others refused.

    Waiters are served first come, first served (``asyncio.Semaphore`` is fair). A request whose
    expected wait exceeds ``timeout`` is refused at once too: making it wait only to refuse it helps
    nobody. The wait is estimated from the work ahead of it: each waiter and holder counts the
    recent mean hold time of its own cost class (a route, say), because requests differ by orders
    of magnitude (a listing takes a millisecond, a rules-engine chat turn tens), and one mean over
    all of them refuses cheap requests behind a burst of dear ones that is over long before the
    timeout. One gate per process, used from its one event loop.
    """

    def __init__(self, limit: int, queue_size: int, timeout: float) -> None:
        self.limit = limit
        self.queue_size = queue_size
        self.timeout = timeout
        self._slots = asyncio.Semaphore(limit)
        self._waiting = 0
        self._mean_hold: dict[str, float] = {}  # seconds, per cost class; moving averages
        self._queued_work = 0.0  # the waiters' estimated hold times, summed
        self._held_work = 0.0  # the holders' estimated hold times, summed
        self._holders = 0

    def estimate(self, cost: str) -> float:
        """Seconds a slot of this cost class is probably held (a new class: the dearest one seen)."""
        mean = self._mean_hold.get(cost)
        if mean is not None:
            return mean
        return max(self._mean_hold.values(), default=0.0)

    def expected_wait(self) -> float:
        """Seconds a request arriving now would probably wait for a slot.

        The queue ahead drains ``limit`` at a time, after the first holder is done: about one mean
        hold of the holders over ``limit`` away, if their ends are spread evenly.
        """
        if not self._slots.locked():
            return 0.0
        first_free = self._held_work / self._holders if self._holders else 0.0
        return (self._queued_work + first_free) / self.limit

    @classmethod
    def from_settings(cls, settings: CoreSettings) -> AdmissionGate:
        return cls(settings.db_pool_size, settings.db_queue_size, settings.db_queue_timeout_seconds)

    @property
    def waiting(self) -> int:
        """Requests queued for a slot right now."""
        return self._waiting

    def refuse_if_full(self) -> None:
        """Raise ``Overloaded`` now if a request would get no place in the queue, or wait too long."""
        if self._slots.locked() and self._waiting >= self.queue_size:
            raise Overloaded(
                f"server busy: all {self.limit} database connections are in use and "
                f"{self._waiting} requests are waiting; retry in {RETRY_AFTER_SECONDS} s"
            )
        if (wait := self.expected_wait()) > self.timeout:
            raise Overloaded(
                f"server busy: about {wait:.1f} s of work is queued ahead (more than {self.timeout:g} s); "
                f"retry in {RETRY_AFTER_SECONDS} s"
            )

    @asynccontextmanager
    async def slot(self, cost: str = "", *, finishing: bool = False) -> AsyncIterator[None]:
        """Hold one slot for the block; raise ``Overloaded`` if none comes free in time.

        ``cost`` names the kind of work (its hold times are averaged apart from other kinds').
        ``finishing`` is for the last step of work already done (storing a chat turn whose tools
        ran): refusing it would lose that work, so it queues however long the queue and waits as
        long as it takes (slots are held briefly, so that is bounded by the queue ahead of it).
        """
        if not finishing:
            self.refuse_if_full()
        estimate = self.estimate(cost)
        self._waiting += 1
        self._queued_work += estimate
        try:
            async with asyncio.timeout(None if finishing else self.timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise Overloaded(
                f"server busy: no database connection came free within {self.timeout:g} s; "
                f"retry in {RETRY_AFTER_SECONDS} s"
            ) from None
        finally:
            self._waiting -= 1
            self._queued_work = max(0.0, self._queued_work - estimate)
        self._holders += 1
        self._held_work += estimate
        held_from = time.monotonic()
        try:
            yield
        finally:
            self._slots.release()
            self._holders -= 1
            self._held_work = max(0.0, self._held_work - estimate) if self._holders else 0.0
            held = time.monotonic() - held_from
            mean = self._mean_hold.get(cost)
            # The first sample sets the mean; then each new one weighs a tenth.
            self._mean_hold[cost] = held if mean is None else 0.9 * mean + 0.1 * held


def overloaded_response(detail: str) -> JSONResponse:
    """503 with Retry-After and the request id: the one answer to every kind of overload."""
    return JSONResponse(
        error_body(detail),
        status_code=503,
        headers={"retry-after": str(RETRY_AFTER_SECONDS)},
    )


class ShedWhenFull:
    """Refuse requests under ``prefix`` with 503 before any routing, parsing or auth while the gate's
    queue is full: under overload a refusal must cost far less than the work it protects."""

    def __init__(self, app: ASGIApp, gate: AdmissionGate, prefix: str = "/") -> None:
        self.app = app
        self.gate = gate
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(self.prefix):
            try:
                self.gate.refuse_if_full()
            except Overloaded as error:
                await overloaded_response(str(error))(scope, receive, send)
                return
        await self.app(scope, receive, send)
