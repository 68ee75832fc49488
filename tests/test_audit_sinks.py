"""The audit sinks against real git (a bare remote in tmp_path, workspaces cloned from it) and real files,
including many writer processes at once (tests/support/audit_writer.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gate.audit.chain import GENESIS, Checkpoint, canonical, verify_lines
from gate.audit.record import SettlementRecord
from gate.audit.sink import FileSink, GitSink
from gate.errors import AuditError
from tests.support.audit_records import decision
from tests.support.audit_records import settlement as settlement_record
from tests.support.audit_writer import AT, record
from tests.support.git import GIT_ENV, git

ROOT = Path(__file__).resolve().parent.parent
BRANCH = "slo-gate-audit"
CHAIN = "audit/payments.jsonl"


@pytest.fixture(autouse=True)
def hermetic_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sinks run git with the process environment: keep the developer's git config out of it."""
    for name in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "LC_ALL"):
        monkeypatch.setenv(name, GIT_ENV[name])


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare remote with a `main` branch, like a project's origin."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(bare), str(seed))
    (seed / "app.py").write_text("print('hi')\n")
    git(seed, "add", "app.py")
    git(seed, "commit", "-q", "-m", "app")
    git(seed, "push", "-q", "origin", "HEAD:main")
    return bare


def clone(remote: Path, dest: Path) -> Path:
    git(remote.parent, "clone", "-q", str(remote), str(dest))
    return dest


@pytest.fixture
def ws(remote: Path, tmp_path: Path) -> Path:
    return clone(remote, tmp_path / "ws")


def tip(remote: Path, branch: str = BRANCH) -> str:
    return git(remote, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}").strip()


def remote_lines(remote: Path, path: str = CHAIN) -> list[str]:
    return git(remote, "show", f"{BRANCH}:{path}").removesuffix("\n").split("\n")


def no_sleep(delays: list[float]) -> Callable[[float], None]:
    return delays.append


# -- GitSink: the branch ------------------------------------------------------------------------------


def test_the_first_append_starts_an_orphan_branch_with_one_file(ws: Path, remote: Path) -> None:
    sink = GitSink(BRANCH, cwd=ws)
    assert sink.read() == {}
    appended = sink.append(record("payments", "100.1", pr=42))
    assert appended.created
    assert appended.attempts == 1
    assert appended.location == f"git branch {BRANCH} on origin, {CHAIN}"
    stored = appended.record
    assert (stored.seq, stored.prev_hash) == (1, GENESIS)
    assert remote_lines(remote) == [canonical(stored.stored())]
    assert git(remote, "rev-list", "--parents", "-n", "1", BRANCH).split() == [tip(remote)]  # no parent
    assert git(remote, "ls-tree", "-r", "--name-only", BRANCH).split() == [CHAIN]
    people = git(remote, "log", "-1", "--format=%an <%ae>|%cn <%ce>", BRANCH).strip()
    assert (
        people == "slo-gate <slo-gate@users.noreply.github.com>|slo-gate <slo-gate@users.noreply.github.com>"
    )
    assert git(remote, "log", "-1", "--format=%s", BRANCH).strip() == "slo-gate: payments pass (PR #42)"
    assert f"seq 1 {stored.hash}" in git(remote, "log", "-1", "--format=%b", BRANCH)
    assert sink.read() == {CHAIN: [canonical(stored.stored())]}


def test_appends_extend_the_chain_and_each_service_has_its_own(ws: Path, remote: Path) -> None:
    sink = GitSink(BRANCH, cwd=ws)
    first = sink.append(record("payments", "1.1")).record
    before = tip(remote)
    second = sink.append(record("payments", "2.1")).record
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert git(remote, "rev-parse", f"{BRANCH}^").strip() == before
    other = sink.append(record("checkout", "3.1")).record
    assert (other.seq, other.prev_hash) == (1, GENESIS)
    chains = sink.read()
    assert sorted(chains) == ["audit/checkout.jsonl", CHAIN]
    assert chains[CHAIN] == [canonical(first.stored()), canonical(second.stored())]
    assert all(verify_lines(name, lines).ok for name, lines in chains.items())
    assert len(git(remote, "rev-list", BRANCH).split()) == 3
    assert git(remote, "rev-parse", "main").strip() == git(ws, "rev-parse", "HEAD").strip()  # main untouched


def test_a_rerun_of_the_same_run_writes_nothing(ws: Path, remote: Path) -> None:
    sink = GitSink(BRANCH, cwd=ws)
    first = sink.append(record("payments", "7.1"))
    head = tip(remote)
    again = GitSink(BRANCH, cwd=ws).append(record("payments", "7.1"))
    assert (again.created, again.attempts, again.record) == (False, 0, first.record)
    assert tip(remote) == head
    # Another attempt of the same run, or the same run for another service, is a new record.
    assert sink.append(record("payments", "7.2")).created
    assert sink.append(record("checkout", "7.1")).created


def test_local_runs_have_no_run_key_and_are_always_appended(ws: Path) -> None:
    sink = GitSink(BRANCH, cwd=ws)
    local = record("payments", "x").model_copy(update={"run_key": None})
    assert [sink.append(local).record.seq for _ in range(2)] == [1, 2]


def settlement(deploy_id: str) -> SettlementRecord:
    deploy = decision(deploy_id, AT, service="payments")
    return settlement_record("s1", deploy, 0.01, AT + 86400)


def test_a_deploy_is_settled_once(ws: Path, remote: Path) -> None:
    sink = GitSink(BRANCH, cwd=ws)
    sink.append(record("payments", "1.1"))
    first = sink.append(settlement("abc123"))
    assert first.created
    assert (
        git(remote, "log", "-1", "--format=%s", BRANCH).strip() == "slo-gate: payments settlement of abc123"
    )
    again = sink.append(settlement("abc123").model_copy(update={"id": "s2"}))
    assert (again.created, again.record) == (False, first.record)


def test_a_git_sink_reports_no_branch_as_nothing_yet(ws: Path) -> None:
    assert GitSink("no-such-branch", cwd=ws).read() == {}


def test_a_shallow_checkout_appends_and_stays_shallow(remote: Path, tmp_path: Path) -> None:
    # actions/checkout fetches one commit by default.
    seed = clone(remote, tmp_path / "seed2")
    for n in range(2):
        (seed / "app.py").write_text(f"print({n})\n")
        git(seed, "commit", "-q", "-am", f"change {n}")
    git(seed, "push", "-q", "origin", "HEAD:main")
    ws = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", remote.as_uri(), str(ws))
    boundary = (ws / ".git" / "shallow").read_bytes()
    sink = GitSink(BRANCH, cwd=ws)
    assert [sink.append(record("payments", f"{n}.1")).record.seq for n in range(2)] == [1, 2]
    assert verify_lines(CHAIN, remote_lines(remote)).count == 2
    assert (ws / ".git" / "shallow").read_bytes() == boundary


# -- GitSink: many writers ------------------------------------------------------------------------------


def start_writers(argvs: list[list[str]], go: Path) -> list[subprocess.Popen[str]]:
    """Writer processes that each print `ready`, then all start appending when `go` appears."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.audit_writer", *argv, "--go", str(go)],
            cwd=ROOT,
            env=GIT_ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    go.touch()
    return procs


def results(procs: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stdout + stderr
        out += [json.loads(line) for line in stdout.splitlines()]
    return out


@pytest.mark.slow
def test_twenty_writers_from_their_own_clones_make_one_valid_chain(remote: Path, tmp_path: Path) -> None:
    clones = [clone(remote, tmp_path / f"clone{n}") for n in range(20)]
    procs = start_writers(
        [["git", str(c), BRANCH, "payments", f"run{n}"] for n, c in enumerate(clones)], tmp_path / "go"
    )
    done = results(procs)
    assert len(done) == 20
    assert all(r["created"] for r in done)
    assert sorted(r["seq"] for r in done) == list(range(1, 21))
    lines = remote_lines(remote)
    report = verify_lines(CHAIN, lines)
    assert (report.ok, report.count) == (True, 20)
    keys = [r["run_key"] for r in report.records]
    assert sorted(keys) == sorted(f"run{n}.1" for n in range(20))  # every body once, none twice
    for r in report.records:
        salt = r["id"].removeprefix(f"id-payments-{r['run_key']}")  # the writer's pid
        assert {k: v for k, v in r.items() if k not in ("seq", "prev_hash", "hash")} == record(
            "payments", r["run_key"], salt=salt
        ).body()
    assert len(git(remote, "rev-list", BRANCH).split()) == 20  # one commit per record, linear
    assert git(remote, "rev-list", "--merges", BRANCH).strip() == ""
    retries = sum(r["attempts"] - 1 for r in done)
    print(f"20 writers: {retries} push retries, at most {max(r['attempts'] for r in done)} attempts")


@pytest.mark.slow
def test_concurrent_reruns_of_one_run_write_it_once(remote: Path, tmp_path: Path) -> None:
    clones = [clone(remote, tmp_path / f"clone{n}") for n in range(4)]
    procs = start_writers([["git", str(c), BRANCH, "payments", "same"] for c in clones], tmp_path / "go")
    done = results(procs)
    assert sorted(r["created"] for r in done) == [False, False, False, True]
    assert len({json.dumps(r["seq"]) for r in done}) == 1
    assert len(remote_lines(remote)) == 1


class RacedSink(GitSink):
    """Another writer appends between this sink's fetch and its push, `races` times."""

    def __init__(self, other: GitSink, races: int, **kwargs: Any) -> None:
        super().__init__(BRANCH, **kwargs)
        self.other = other
        self.races = races

    def _commit(self, tip: str | None, path: str, content: bytes, message: str, index: Path) -> str:
        if self.races > 0:
            self.races -= 1
            self.other.append(record("payments", f"other{self.races}.1"))
        return super()._commit(tip, path, content, message, index)


def test_a_push_that_lost_the_race_is_retried_on_the_new_tip(remote: Path, tmp_path: Path) -> None:
    delays: list[float] = []
    other = GitSink(BRANCH, cwd=clone(remote, tmp_path / "other"))
    sink = RacedSink(other, 2, cwd=clone(remote, tmp_path / "ws"), sleep=no_sleep(delays))
    appended = sink.append(record("payments", "mine.1"))
    assert (appended.created, appended.attempts, appended.record.seq) == (True, 3, 3)
    assert len(delays) == 2
    assert all(0 < d <= 6 for d in delays)
    report = verify_lines(CHAIN, remote_lines(remote))
    assert (report.ok, [r["run_key"] for r in report.records]) == (True, ["other1.1", "other0.1", "mine.1"])


def test_a_branch_that_keeps_moving_gives_up_after_max_attempts(remote: Path, tmp_path: Path) -> None:
    delays: list[float] = []
    other = GitSink(BRANCH, cwd=clone(remote, tmp_path / "other"))
    sink = RacedSink(other, 99, cwd=clone(remote, tmp_path / "ws"), max_attempts=3, sleep=no_sleep(delays))
    with pytest.raises(AuditError) as caught:
        sink.append(record("payments", "mine.1"))
    assert "after 3 attempts: the branch kept moving" in str(caught.value)
    assert "NOT written" in str(caught.value)
    assert len(delays) == 2
    assert "mine.1" not in "".join(remote_lines(remote))


# -- GitSink: a tampered branch ---------------------------------------------------------------------------


def edit_field(lines: list[str]) -> list[str]:
    lines[1] = lines[1].replace('"outcome":"pass"', '"outcome":"fail"')
    return lines


def swap(lines: list[str]) -> list[str]:
    lines[1], lines[2] = lines[2], lines[1]
    return lines


def delete_middle(lines: list[str]) -> list[str]:
    del lines[1]
    return lines


def delete_tail(lines: list[str]) -> list[str]:
    del lines[-1]
    return lines


def duplicate(lines: list[str]) -> list[str]:
    lines.insert(2, lines[1])
    return lines


def smuggle_newline(lines: list[str]) -> list[str]:
    lines[2] = lines[2].replace('"outcome":"pass"', '"outcome":"pa\nss"')
    return lines


@pytest.mark.parametrize(
    ("tamper", "bad_seq"),
    [
        (edit_field, 2),
        (swap, 2),
        (delete_middle, 2),
        (duplicate, 3),
        (smuggle_newline, 3),
        (delete_tail, 4),  # caught against the parent commit; verify_lines needs a checkpoint
    ],
)
def test_a_tampered_chain_is_never_appended_to(
    tamper: Callable[[list[str]], list[str]], bad_seq: int, remote: Path, tmp_path: Path
) -> None:
    sink = GitSink(BRANCH, cwd=clone(remote, tmp_path / "ws"))
    records = [sink.append(record("payments", f"{n}.1")).record for n in range(4)]
    other = clone(remote, tmp_path / "other")
    git(other, "checkout", "-q", BRANCH)
    path = other / CHAIN
    path.write_text("\n".join(tamper(path.read_text("utf-8").removesuffix("\n").split("\n"))) + "\n", "utf-8")
    git(other, "commit", "-q", "-am", "tidy the log")
    git(other, "push", "-q", "origin", BRANCH)
    tampered = tip(remote)

    with pytest.raises(AuditError) as caught:
        sink.append(record("payments", "next.1"))
    message = str(caught.value)
    assert f"broken at seq {bad_seq}:" in message
    assert "NOT written" in message
    assert tip(remote) == tampered
    # The re-run of a recorded run is refused too: a broken log is never quietly accepted.
    with pytest.raises(AuditError, match=f"seq {bad_seq}"):
        sink.append(record("payments", "0.1"))

    lines = sink.read()[CHAIN]
    report = verify_lines(CHAIN, lines)
    if tamper is delete_tail:
        assert report.ok
        report = verify_lines(CHAIN, lines, [Checkpoint(4, str(records[3].hash))])
    assert (report.ok, report.bad_seq) == (False, bad_seq)

    # Reverting the tampering repairs the log; appending works again.
    git(other, "revert", "--no-edit", "HEAD")
    git(other, "push", "-q", "origin", BRANCH)
    assert sink.append(record("payments", "next.1")).record.seq == 5
    assert verify_lines(CHAIN, sink.read()[CHAIN]).ok


def test_a_last_line_without_its_newline_is_refused(remote: Path, tmp_path: Path) -> None:
    sink = GitSink(BRANCH, cwd=clone(remote, tmp_path / "ws"))
    for n in range(2):
        sink.append(record("payments", f"{n}.1"))
    other = clone(remote, tmp_path / "other")
    git(other, "checkout", "-q", BRANCH)
    path = other / CHAIN
    path.write_bytes(path.read_bytes().removesuffix(b"\n"))
    git(other, "commit", "-q", "-am", "strip")
    git(other, "push", "-q", "origin", BRANCH)
    with pytest.raises(AuditError, match=r"broken at seq 2: the last line .* does not end with a newline"):
        sink.append(record("payments", "next.1"))


# -- GitSink: refusals ------------------------------------------------------------------------------------


def test_a_push_declined_by_a_hook_says_the_record_was_not_written(ws: Path, remote: Path) -> None:
    GitSink(BRANCH, cwd=ws).append(record("payments", "1.1"))
    head = tip(remote)
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'audit branch is frozen: ask #ops (ticket OPS-7)' >&2\nexit 1\n")
    hook.chmod(0o755)
    delays: list[float] = []
    with pytest.raises(AuditError) as caught:
        GitSink(BRANCH, cwd=ws, sleep=no_sleep(delays)).append(record("payments", "2.1"))
    message = str(caught.value)
    assert "NOT written" in message
    assert "audit branch is frozen: ask #ops (ticket OPS-7)" in message
    assert "pre-receive hook declined" in message
    assert delays == []  # not a race: no retry
    assert tip(remote) == head


def test_a_remote_that_cannot_be_reached_fails_without_leaking_its_credentials(ws: Path) -> None:
    git(ws, "remote", "add", "vault", "https://deploy-bot:s3cr3t-t0ken@127.0.0.1:9/shop.git")
    sink = GitSink(BRANCH, remote="vault", cwd=ws)
    assert "s3cr3t" not in repr(sink)
    with pytest.raises(AuditError) as caught:
        sink.append(record("payments", "1.1"))
    assert "NOT written" in str(caught.value)
    assert "127.0.0.1" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_an_unknown_remote_is_refused(ws: Path) -> None:
    with pytest.raises(AuditError, match=r"cannot use git remote 'upstream'.*NOT written"):
        GitSink(BRANCH, remote="upstream", cwd=ws).append(record("payments", "1.1"))


@pytest.mark.parametrize(
    "branch", ["--upload-pack=x", "a..b", "@{-1}", "x.lock", "a b", "refs/heads/", "", "-x", "a~1", "a:b"]
)
def test_branch_names_git_would_not_take_are_refused(ws: Path, branch: str) -> None:
    with pytest.raises(AuditError, match="not a valid git branch name"):
        GitSink(branch, cwd=ws)


@pytest.mark.parametrize("remote_name", ["--receive-pack=x", "-o", ""])
def test_remote_names_that_look_like_options_are_refused(ws: Path, remote_name: str) -> None:
    with pytest.raises(AuditError, match="not a git remote name"):
        GitSink(BRANCH, remote=remote_name, cwd=ws)


@pytest.mark.parametrize("service", ["../x", "a/b", "-x", "", ".hidden", None])
def test_service_names_that_are_not_file_names_are_refused(ws: Path, service: str | None) -> None:
    with pytest.raises(AuditError, match="cannot name an audit file"):
        GitSink(BRANCH, cwd=ws).append(record("payments", "1.1").model_copy(update={"service": service}))


def test_without_git_the_sink_says_so(ws: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(AuditError, match="git is not installed"):
        GitSink(BRANCH, cwd=ws)


# -- GitSink: the workspace is left alone ------------------------------------------------------------------


def workspace_state(ws: Path) -> dict[str, object]:
    index = ws / ".git" / "index"
    stat = index.stat()
    return {
        "index": index.read_bytes(),  # read before status, which could refresh it
        "index_mtime": stat.st_mtime_ns,
        "status": git(
            ws, "--no-optional-locks", "status", "--porcelain=v2", "--branch", "--untracked-files=all"
        ),
        "head": git(ws, "rev-parse", "HEAD"),
        "refs": git(ws, "for-each-ref", "refs/heads", "refs/tags", "refs/remotes"),
        "private": git(ws, "for-each-ref", "refs/slo-gate"),
        "files": {p.name: p.read_bytes() for p in ws.iterdir() if p.is_file()},
        "fetch_head": (ws / ".git" / "FETCH_HEAD").exists(),
        "stash": git(ws, "stash", "list"),
    }


def test_appends_leave_head_index_worktree_and_refs_alone(ws: Path, remote: Path) -> None:
    (ws / "app.py").write_text("print('edited, not staged')\n")
    (ws / "new.py").write_text("staged = True\n")
    git(ws, "add", "new.py")
    (ws / "scratch.txt").write_text("untracked\n")
    git(ws, "tag", "v1")
    git(ws, "--no-optional-locks", "status")
    before = workspace_state(ws)
    assert "1 .M" in str(before["status"]) and "1 A." in str(before["status"])

    sink = GitSink(BRANCH, cwd=ws)
    sink.append(record("payments", "1.1"))
    sink.append(record("checkout", "1.1"))
    sink.append(record("payments", "1.1"))  # the idempotent path too
    sink.read()

    after = workspace_state(ws)
    assert after == before
    assert after["private"] == ""  # the fetched tip's private ref is gone
    assert len(remote_lines(remote)) == 1  # and the records did reach the remote


# -- FileSink --------------------------------------------------------------------------------------------


def test_a_file_sink_keeps_one_chain_over_all_services(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "deep" / "audit.jsonl"
    sink = FileSink(path)
    assert sink.read() == {}
    first = sink.append(record("payments", "1.1"))
    second = sink.append(record("checkout", "1.1"))
    assert (first.created, first.attempts, first.location) == (True, 1, f"file {path}")
    assert (second.record.seq, second.record.prev_hash) == (2, first.record.hash)
    lines = [canonical(first.record.stored()), canonical(second.record.stored())]
    assert path.read_text("utf-8") == lines[0] + "\n" + lines[1] + "\n"
    assert sink.read() == {str(path): lines}
    assert verify_lines(str(path), sink.read()[str(path)]).ok
    assert repr(sink) == f"FileSink({str(path)!r})"


def test_a_file_sink_rerun_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    first = FileSink(path).append(record("payments", "1.1"))
    size = path.stat().st_size
    again = FileSink(path).append(record("payments", "1.1"))
    assert (again.created, again.record) == (False, first.record)
    assert path.stat().st_size == size
    assert FileSink(path).append(settlement("d1")).created
    assert not FileSink(path).append(settlement("d1")).created


@pytest.mark.parametrize(
    ("tamper", "bad_seq"),
    [(edit_field, 2), (swap, 2), (delete_middle, 2), (duplicate, 3), (smuggle_newline, 3)],
)
def test_a_file_sink_never_appends_to_a_broken_chain(
    tamper: Callable[[list[str]], list[str]], bad_seq: int, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    for n in range(4):
        FileSink(path).append(record("payments", f"{n}.1"))
    path.write_text("\n".join(tamper(path.read_text("utf-8").removesuffix("\n").split("\n"))) + "\n", "utf-8")
    content = path.read_bytes()
    with pytest.raises(
        AuditError, match=rf"file {re.escape(str(path))} is broken at seq {bad_seq}:.*NOT written"
    ):
        FileSink(path).append(record("payments", "next.1"))
    assert path.read_bytes() == content
    assert verify_lines(str(path), FileSink(path).read()[str(path)]).bad_seq == bad_seq


@pytest.mark.parametrize(
    ("torn", "bad_seq"),
    [
        (lambda line: line[: len(line) // 2], 3),  # a partial record: not JSON
        (lambda line: line, 3),  # a whole record without its newline
        (lambda line: "", None),  # no torn line: appending is fine
    ],
)
def test_a_file_sink_refuses_a_torn_last_line(
    torn: Callable[[str], str], bad_seq: int | None, tmp_path: Path
) -> None:
    path = tmp_path / "audit.jsonl"
    sink = FileSink(path)
    for n in range(2):
        sink.append(record("payments", f"{n}.1"))
    lost = FileSink(tmp_path / "scratch.jsonl")
    for n in range(3):
        line = canonical(lost.append(record("payments", f"{n}.1")).record.stored())
    with path.open("a", encoding="utf-8") as f:
        f.write(torn(line))
    if bad_seq is None:
        assert sink.append(record("payments", "next.1")).record.seq == 3
        return
    with pytest.raises(AuditError, match=f"broken at seq {bad_seq}"):
        sink.append(record("payments", "next.1"))


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    FileSink(path).append(record("payments", "1.1"))
    with path.open("ab") as f:
        f.write(b"\xff\xfe\n")
    with pytest.raises(AuditError, match="broken at seq 2: line 2 is not valid UTF-8"):
        FileSink(path).append(record("payments", "2.1"))


def test_an_unwritable_file_sink_says_the_record_was_not_written(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(AuditError, match=r"cannot write the audit log .*NOT written"):
        FileSink(blocker / "audit.jsonl").append(record("payments", "1.1"))


@pytest.mark.slow
def test_ten_file_writers_at_once_make_one_valid_chain(tmp_path: Path) -> None:
    path = tmp_path / "shared" / "audit.jsonl"
    procs = start_writers(
        [["file", str(path), "payments", f"run{n}", "--count", "3"] for n in range(10)], tmp_path / "go"
    )
    done = results(procs)
    assert len(done) == 30 and all(r["created"] for r in done)
    report = verify_lines(str(path), FileSink(path).read()[str(path)])
    assert (report.ok, report.count) == (True, 30)
    assert sorted(r["run_key"] for r in report.records) == sorted(
        f"run{n}-{i}.1" for n in range(10) for i in range(3)
    )


@pytest.fixture
def no_fds_leak() -> Iterator[None]:
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
    yield
    after = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
    assert after <= before


@pytest.mark.usefixtures("no_fds_leak")
def test_a_file_sink_closes_what_it_opens(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "audit.jsonl")
    for n in range(5):
        sink.append(record("payments", f"{n}.1"))
    sink.read()
    (tmp_path / "audit.jsonl").write_text("junk\n")
    with pytest.raises(AuditError):
        sink.append(record("payments", "x.1"))
