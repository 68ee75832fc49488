"""`watch --every`: rounds on a fixed cadence until SIGTERM or SIGINT, which let the round in progress
finish and then end the process with exit code 0.

Rounds start on a grid (`interval` apart from the first), so a slow round does not push the next ones
later; a round that overruns its slot skips the slots it overran and the next starts on the grid
(rounds never pile up behind a slow one). A round that
fails (Prometheus down, the store unreachable) is reported through `warn` and the loop goes on:
a long-running watcher must outlive a bad minute. The clock and the wait are injected, so tests never
sleep.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from gate.errors import GateError

__all__ = ["run_every", "stop_on_signals"]


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set `stop` on SIGTERM/SIGINT while inside (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_every(
    round_at: Callable[[float], None],
    interval: float,
    *,
    stop: threading.Event,
    clock: Callable[[], float],
    warn: Callable[[str], None],
    rounds: int | None = None,
) -> int:
    """Run `round_at(now)` every `interval` seconds until `stop` is set (or `rounds` have run); the
    number of rounds run."""
    start = clock()
    done = 0
    slot = 0
    while not stop.is_set() and (rounds is None or done < rounds):
        try:
            round_at(clock())
        except GateError as exc:
            warn(f"round failed: {exc.message}")
        done += 1
        if rounds is not None and done >= rounds:
            break
        slot = max(slot + 1, int((clock() - start) // interval) + 1)
        stop.wait(max(0.0, start + slot * interval - clock()))
    return done
