"""A sidecar `flock` lock for local files that several processes may write.

The lock lives in `PATH.lock` beside the file and is never deleted: removing a lock file would let
two writers lock different inodes. Closing the descriptor releases the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["EXCLUSIVE", "SHARED", "locked_beside"]

SHARED = fcntl.LOCK_SH
EXCLUSIVE = fcntl.LOCK_EX


@contextlib.contextmanager
def locked_beside(path: Path, mode: int) -> Iterator[None]:
    """Hold `mode` (SHARED or EXCLUSIVE) on `path`'s sidecar lock for the block; raises OSError."""
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)
