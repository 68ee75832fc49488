"""Count the Python lines one module executes: a measure of work that does not depend on the clock.

A complexity test compares the count for an input and for the same input made k times bigger: work
that grows linearly grows about k times, a per-item rescan about k² times. It is exact and fast,
where a timing would be flaky on a shared machine. Only work done in Python counts (a regex or a
`str` method is one line), so it suits loops over Python objects, not scans done inside `re`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, ModuleType
from typing import Any


class LineCount:
    def __init__(self) -> None:
        self.lines = 0


@contextmanager
def executed_lines(module: ModuleType) -> Iterator[LineCount]:
    """Count the line events (a loop's line counts each time round) in frames of `module`'s file."""
    target = module.__file__
    count = LineCount()

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            count.lines += 1
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename == target else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        yield count
    finally:
        sys.settrace(previous)
