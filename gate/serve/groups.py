"""Which Alertmanager groups `slo-gate serve` has posted about, kept in memory and written behind.

The receiver is one process (one replica: see docs/watch.md), so the groups it knows live in memory,
read from the store once at start; each change is written to the store in the background, coalesced
(at most one write per FLUSH_EVERY seconds, and a last one when the receiver stops). A group's
worker never waits for a file write or a git push, and a storm of groups costs one write per second,
not one per group. A write merges only this process's changes into what the store holds (the
store's compare-and-swap), so the watch's incidents kept in the same state are left alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from gate.errors import GateError
from gate.incident.state import GroupState, WatchState
from gate.incident.store import IncidentStore

__all__ = ["FLUSH_EVERY", "GroupStates"]

FLUSH_EVERY = 1.0


class GroupStates:
    def __init__(self, store: IncidentStore, *, log: Callable[..., None], every: float = FLUSH_EVERY) -> None:
        self._store = store
        self._log = log
        self._every = every
        self._lock = threading.Lock()
        self._groups: dict[str, GroupState] = dict(store.load().groups)
        self._dirty: dict[str, GroupState | None] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slo-gate-serve-state", daemon=True)

    def start(self) -> GroupStates:
        self._thread.start()
        return self

    def get(self, group_id: str) -> GroupState | None:
        with self._lock:
            return self._groups.get(group_id)

    def put(self, group_id: str, state: GroupState | None) -> None:
        """Remember a group (None: forget it); written to the store shortly after."""
        with self._lock:
            if state is None:
                self._groups.pop(group_id, None)
            else:
                self._groups[group_id] = state
            self._dirty[group_id] = state

    def __len__(self) -> int:
        with self._lock:
            return len(self._groups)

    def flush(self) -> bool:
        """Write the pending changes now; False (logged) when the store refused them (kept for later)."""
        with self._lock:
            pending, self._dirty = self._dirty, {}
        if not pending:
            return True

        def change(state: WatchState) -> tuple[WatchState, None]:
            groups = dict(state.groups)
            for group_id, value in pending.items():
                if value is None:
                    groups.pop(group_id, None)
                else:
                    groups[group_id] = value
            return state.model_copy(update={"groups": groups}), None

        try:
            self._store.update(change)
        except GateError as exc:
            with self._lock:  # keep them, unless a newer change of the same group came meanwhile
                for group_id, value in pending.items():
                    self._dirty.setdefault(group_id, value)
            self._log("state_not_written", level="error", error=exc.message[:500], groups=len(pending))
            return False
        return True

    def stop(self) -> bool:
        self._stop.set()
        self._thread.join(timeout=10)
        return self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self.flush()
