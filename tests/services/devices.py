"""A device for tests: its simulator started, our driver opened on it, both closed
after (the driver first), whatever the test did."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

S = TypeVar("S")
D = TypeVar("D")


@contextmanager
def driven(simulator: S, driver_class: Callable[..., D]) -> Iterator[tuple[S, D]]:
    """`simulator` (not yet started) and a `driver_class` opened on its address."""
    started: Any = simulator
    started.start()
    try:
        driver: Any = driver_class(port=started.address)
        assert driver.open().result().ok
        try:
            yield simulator, driver
        finally:
            driver.close()
    finally:
        started.stop()
