"""Where the watch keeps its state: a locked file, or watch/state.json on the audit branch written with
the audit sink's plumbing (compare-and-swap on a real git remote); garbage is replaced, never trusted."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from gate.audit.sink import GitSink
from gate.errors import AuditError
from gate.incident.state import GroupState, WatchState
from gate.incident.store import FileIncidentStore, GitIncidentStore, MemoryIncidentStore, dump_state
from tests.support.audit_records import decision
from tests.support.git import git


def add_group(name: str, at: float) -> Callable[[WatchState], tuple[WatchState, int]]:
    def change(state: WatchState) -> tuple[WatchState, int]:
        groups = {**state.groups, name: GroupState(opened_at=at, updated_at=at)}
        return state.model_copy(update={"groups": groups}), len(groups)

    return change


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path]:
    remote = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a, b = tmp_path / "a", tmp_path / "b"
    for clone in (a, b):
        git(tmp_path, "clone", "-q", str(remote), str(clone))
    return a, b


def test_the_file_store_round_trips_and_serialises_writers(tmp_path: Path) -> None:
    store = FileIncidentStore(tmp_path / "state.json", warn=pytest.fail)
    assert store.load() == WatchState()
    threads = [threading.Thread(target=store.update, args=(add_group(f"g{i}", float(i)),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(store.load().groups) == [f"g{i}" for i in range(8)]
    assert json.loads((tmp_path / "state.json").read_text())["schema_version"] == 1


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[" * 5000,
        b'{"schema_version": 2}',
        b'{"incidents": {"x": {"service": 1}}}',
        b"{" + b" " * (5 << 20),
    ],
)
def test_garbage_state_is_reported_and_replaced(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    warnings: list[str] = []
    store = FileIncidentStore(path, warn=warnings.append)
    assert store.load() == WatchState()
    assert len(warnings) == 1 and "starting from an empty state" in warnings[0]
    assert store.update(add_group("g", 1.0)) == 1
    assert list(store.load().groups) == ["g"]


def test_an_unwritable_file_store_is_an_error_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "state.json").mkdir()  # a folder where the file should be
    with pytest.raises(AuditError, match=r"state\.json"):
        FileIncidentStore(folder / "state.json", warn=print).update(add_group("g", 1.0))


@pytest.mark.slow
def test_the_git_store_keeps_state_beside_the_chains_and_two_clones_never_lose_a_write(
    clones: tuple[Path, Path],
) -> None:
    a, b = clones
    chain_sink = GitSink("audit", cwd=a)
    chain_sink.append(decision("r1", 1_793_700_000.0))
    stores = [GitIncidentStore(GitSink("audit", cwd=c), warn=pytest.fail) for c in (a, b)]
    threads = [
        threading.Thread(target=stores[i % 2].update, args=(add_group(f"g{i}", float(i)),)) for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(stores[0].load().groups) == [f"g{i}" for i in range(6)]
    # the chain is untouched and still verifies; the user's checkout was never touched
    assert set(chain_sink.read()) == {"audit/checkout.jsonl"}
    assert git(a, "status", "--porcelain") == "" and "watch" not in git(a, "ls-files")
    assert stores[1].update(lambda s: (s, "same")) == "same"  # unchanged content: no commit
    git(a, "fetch", "-q", "origin", "audit:refs/remotes/origin/audit")
    assert len(git(a, "log", "--format=%H", "origin/audit").splitlines()) == 7  # one append, six writes


def test_the_git_store_refuses_to_write_over_a_chain(clones: tuple[Path, Path]) -> None:
    sink = GitSink("audit", cwd=clones[0])
    for path in ("audit/checkout.jsonl", "../x", "watch/../audit/x", "-rf", ""):
        with pytest.raises(AuditError, match="cannot be kept"):
            sink.update_file(path, lambda current: (b"x", None), subject="x")


def test_the_memory_store_is_a_compare_and_swap_too() -> None:
    store = MemoryIncidentStore()
    assert store.update(add_group("g", 1.0)) == 1
    assert dump_state(store.load()).startswith(b"{\n")
