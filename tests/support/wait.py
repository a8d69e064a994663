"""The one way the engine and live tiers wait: for a condition, never for a time, within a bound,
failing with a message that names what was awaited and what was last seen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(
    what: str,
    condition: Callable[[], T],
    timeout: float,
    *,
    interval: float = 0.5,
    retry_on: tuple[type[BaseException], ...] = (),
    seen: Callable[[], str] | None = None,
) -> T:
    """Calls ``condition`` until it returns a truthy value and returns that value.

    ``retry_on`` exceptions count as "not yet" (the last one is reported); after ``timeout`` seconds
    the test fails with "timed out after N s waiting for WHAT", plus ``seen()`` when given (the state
    that was not the awaited one, e.g. a pod's phase)."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = condition()
        except retry_on as error:
            last_error = error
        else:
            if value:
                return value
        if time.monotonic() >= deadline:
            detail = f"; last error: {last_error!r}" if last_error is not None else ""
            if seen is not None:
                detail += f"; last seen: {seen()}"
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}{detail}", pytrace=False)
        time.sleep(interval)
