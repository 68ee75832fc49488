"""Where the watch keeps its state between rounds: `IncidentStore` and its three homes.

- `GitIncidentStore`: `watch/state.json` on the audit branch, written with the audit sink's plumbing
  (gate.audit.sink.GitSink.update_file: a commit made without touching the workspace, pushed without
  force, retried on a lost race), so the state lives where the audit log lives;
- `FileIncidentStore`: a local JSON file, updated under an exclusive `flock` on a sidecar
  `PATH.lock` and replaced atomically (write, fsync, rename);
- `MemoryIncidentStore`: for a long-running `watch --every` without `--state` (lost on restart).

`update(change)` is a compare-and-swap: `change` receives the latest stored state and returns the
next state and a result; when another writer got there first (git), `change` runs again on what it
left. That is what keeps two watchers from telling one incident twice (gate.incident.state).

A state file that cannot be read as one (garbled, hand-edited, from a newer slo-gate) is reported
through `warn` and replaced by an empty state on the next write: a team may hear about an open
incident once more, which beats never hearing about a new one. A file over MAX_BYTES is refused the
same way; parsing is bounded (gate.safejson).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Final, Protocol, TypeVar

from pydantic import ValidationError

from gate import safejson
from gate.audit.sink import GitSink
from gate.errors import AuditError
from gate.filelock import EXCLUSIVE, SHARED, locked_beside
from gate.incident.state import WatchState

__all__ = [
    "MAX_BYTES",
    "STATE_PATH",
    "FileIncidentStore",
    "GitIncidentStore",
    "IncidentStore",
    "MemoryIncidentStore",
    "dump_state",
    "read_state",
]

T = TypeVar("T")
STATE_PATH: Final = "watch/state.json"
MAX_BYTES: Final = 4 * 1024 * 1024


class IncidentStore(Protocol):
    location: str

    def load(self) -> WatchState: ...

    def update(self, change: Callable[[WatchState], tuple[WatchState, T]]) -> T: ...


def dump_state(state: WatchState) -> bytes:
    """Canonical JSON (sorted keys, one key per line: reviewable in a git diff)."""
    return (
        json.dumps(state.model_dump(mode="json"), sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    ).encode()


def read_state(content: bytes | None, where: str, warn: Callable[[str], None]) -> WatchState:
    """The state in `content`; an empty one (and a warning) when there is none or it is unusable."""
    if content is None or not content.strip():
        return WatchState()
    problem: str
    if len(content) > MAX_BYTES:
        problem = f"it is larger than {MAX_BYTES} bytes"
    else:
        try:
            return WatchState.model_validate(safejson.loads(content))
        except safejson.JSONError as exc:
            problem = f"it is not JSON ({exc})"
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            field = ".".join(str(p) for p in first["loc"]) or "state"
            problem = f"{field}: {first['msg']}"[:200]
    warn(f"the watch state {where} cannot be read ({problem}); starting from an empty state")
    return WatchState()


class GitIncidentStore:
    """`watch/state.json` on a branch (the audit branch), through the audit sink's git plumbing."""

    def __init__(self, sink: GitSink, *, warn: Callable[[str], None]) -> None:
        self._sink = sink
        self._warn = warn
        self.location = f"{STATE_PATH} on {sink.location}"

    def __repr__(self) -> str:
        return f"GitIncidentStore({self._sink!r})"

    def load(self) -> WatchState:
        return read_state(self._sink.read_file(STATE_PATH), self.location, self._warn)

    def update(self, change: Callable[[WatchState], tuple[WatchState, T]]) -> T:
        def on_bytes(current: bytes | None) -> tuple[bytes | None, T]:
            state, result = change(read_state(current, self.location, self._warn))
            return dump_state(state), result

        return self._sink.update_file(STATE_PATH, on_bytes, subject="watch state")


class FileIncidentStore:
    """A local JSON file; writers are serialised by `flock` on `PATH.lock` (never deleted)."""

    def __init__(self, path: Path, *, warn: Callable[[str], None]) -> None:
        self.path = Path(path)
        self._warn = warn
        self.location = f"file {self.path}"

    def __repr__(self) -> str:
        return f"FileIncidentStore({str(self.path)!r})"

    def _read(self) -> bytes | None:
        try:
            with self.path.open("rb") as handle:
                return handle.read(MAX_BYTES + 1)
        except FileNotFoundError:
            return None

    def load(self) -> WatchState:
        try:
            with locked_beside(self.path, SHARED):
                content = self._read()
        except OSError as exc:
            raise AuditError(f"cannot read the watch state {self.path}: {exc.strerror or exc}") from None
        return read_state(content, self.location, self._warn)

    def update(self, change: Callable[[WatchState], tuple[WatchState, T]]) -> T:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with locked_beside(self.path, EXCLUSIVE):
                state, result = change(read_state(self._read(), self.location, self._warn))
                self._replace(dump_state(state))
                return result
        except OSError as exc:
            raise AuditError(
                f"cannot write the watch state {self.path}: {exc.strerror or exc}; the state was NOT written"
            ) from None

    def _replace(self, data: bytes) -> None:
        fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        with contextlib.suppress(OSError):
            dir_fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


class MemoryIncidentStore:
    """State kept in this process only (watch --every without --state)."""

    location = "memory (lost when the process ends)"

    def __init__(self) -> None:
        self._state = WatchState()
        self._lock = threading.Lock()

    def load(self) -> WatchState:
        with self._lock:
            return self._state

    def update(self, change: Callable[[WatchState], tuple[WatchState, T]]) -> T:
        with self._lock:
            self._state, result = change(self._state)
            return result
