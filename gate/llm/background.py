"""Run one callable on a daemon thread and wait for its result later, so a model call overlaps other work.

`in_background(work)` starts `work` at once and returns a call that waits for its result or re-raises
what it raised (BaseException included). A daemon thread, not an executor: if the other work fails or
the user presses Ctrl-C, the process exits at once instead of waiting for the model's timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["in_background"]

T = TypeVar("T")


def in_background(work: Callable[[], T], *, name: str = "slo-gate-background") -> Callable[[], T]:
    """Start `work` on a daemon thread named `name`; the returned call waits for its result (or re-raises)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the waiting thread below
            box["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()

    def wait() -> T:
        thread.join()
        if "error" in box:
            raise box["error"]
        return cast(T, box["value"])

    return wait
