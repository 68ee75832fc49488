"""The receiver's background side: bounded queues and worker threads, and its JSON log.

A group always goes to the same worker (by its id), so the notifications of one group are handled in
the order Alertmanager sent them, while different groups proceed in parallel. Each worker's queue is
bounded: `submit` says False when it is full (the receiver answers 503 and Alertmanager retries). A
group that fails is logged and the worker goes on; nothing a group does can stop a worker.

`JsonLog` writes one JSON object per line (time, level, event, fields) to a stream; callers pass ids,
counts and messages already free of secrets (every client masks its own).
"""

from __future__ import annotations

import contextlib
import json
import queue
import sys
import threading
import time
import zlib
from collections.abc import Callable
from typing import IO, Any

from gate.serve.alerts import AlertGroup
from gate.times import iso

__all__ = ["Dispatcher", "JsonLog"]

_STOP = object()


class JsonLog:
    def __init__(self, stream: IO[str] | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self._stream = stream
        self._clock = clock
        self._lock = threading.Lock()

    def __call__(self, event: str, *, level: str = "info", **fields: Any) -> None:
        record = {"time": iso(self._clock()), "level": level, "event": event, **fields}
        line = json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":"))
        stream = self._stream or sys.stderr
        with self._lock:
            stream.write(line + "\n")
            stream.flush()


class Dispatcher:
    def __init__(
        self, handle: Callable[[AlertGroup], object], *, workers: int, size: int, log: Callable[..., None]
    ) -> None:
        self._handle = handle
        self._log = log
        per_worker = max(1, -(-size // max(1, workers)))
        self._queues: list[queue.Queue[Any]] = [
            queue.Queue(maxsize=per_worker) for _ in range(max(1, workers))
        ]
        self._threads = [
            threading.Thread(target=self._run, args=(q,), name=f"slo-gate-serve-{i}", daemon=True)
            for i, q in enumerate(self._queues)
        ]
        self.handled = 0
        self._count = threading.Lock()

    def start(self) -> Dispatcher:
        for thread in self._threads:
            thread.start()
        return self

    def submit(self, group: AlertGroup, *, block: bool = False) -> bool:
        """Queue `group` for its worker; False when that queue is full (only when not `block`)."""
        index = zlib.crc32(group.group_id.encode()) % len(self._queues)
        try:
            self._queues[index].put(group, block=block)
        except queue.Full:
            return False
        return True

    def queued(self) -> int:
        return sum(q.qsize() for q in self._queues)

    def stop(self, timeout: float) -> bool:
        """Let the workers finish what is queued (at most `timeout` seconds); True when they did."""
        deadline = time.monotonic() + timeout
        for q in self._queues:
            with contextlib.suppress(queue.Full):  # waits only while its worker drains a full queue
                q.put(_STOP, timeout=max(0.01, deadline - time.monotonic()))
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def _run(self, source: queue.Queue[Any]) -> None:
        while True:
            item = source.get()
            if item is _STOP:
                return
            started = time.perf_counter()
            try:
                self._handle(item)
            except Exception as exc:  # one bad group must not stop the worker
                self._log("group_failed", level="error", group=item.group_id, error=type(exc).__name__)
            with self._count:
                self.handled += 1
            self._log("group_done", group=item.group_id, ms=round((time.perf_counter() - started) * 1000, 1))
