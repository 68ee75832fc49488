"""Bad input is refused up front with a clear message and exit 2; git's own words reach the user; a
branch-creating push is still judged. Each case here was a defect (a traceback, a usage screen of git,
a refusal to decide) before the composition root."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.demo import DEMO
from tests.support.cli import run_cli
from tests.support.git import git

ROOT = Path(__file__).resolve().parent.parent
DEMO_POLICIES = str(DEMO / "policies")
SNAPSHOT = str(DEMO / "snapshot.json")


class CountingServer:
    """A TCP listener that counts connections: proof that nothing was sent before the refusal."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[CountingServer]:
    server = CountingServer()
    yield server
    server.close()


@pytest.mark.parametrize("command", ["check", "status"])
def test_a_snapshot_path_in_a_missing_folder_is_refused_before_measuring(
    command: str, tmp_path: Path, listener: CountingServer
) -> None:
    target = tmp_path / "missing" / "file.json"
    result = run_cli(
        command, "--policy", DEMO_POLICIES, "--prometheus-url", listener.url, "--record-snapshot", str(target)
    )
    assert result.exit_code == 2, result.output
    assert f"--record-snapshot {target}: the folder {target.parent} does not exist" in result.output
    assert "Traceback" not in result.output
    assert listener.connections == 0


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("1764000000000", "looks like milliseconds"),
        ("inf", "not a finite number"),
        ("1e300", "after the year 9999"),
        ("-5", "before 1970"),
        ("nan", "not a finite number"),
        ("2026-11-25T10:00:00", "has no timezone"),
    ],
)
def test_an_evaluation_time_out_of_range_is_refused_before_any_query(
    at: str, message: str, listener: CountingServer
) -> None:
    for args, env in (
        (["--at", at], None),
        ([], {"SLO_GATE_AT": at}),
    ):
        result = run_cli(
            "status", "--policy", DEMO_POLICIES, "--prometheus-url", listener.url, *args, env=env
        )
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
    assert listener.connections == 0


@pytest.mark.parametrize("evaluated_at", ["1e300", "-1", "1764000000000"])
def test_a_snapshot_with_an_impossible_time_is_refused(tmp_path: Path, evaluated_at: str) -> None:
    document = json.loads(Path(SNAPSHOT).read_text("utf-8"))
    text = json.dumps(document).replace(
        f'"evaluated_at": {json.dumps(document["evaluated_at"])}', f'"evaluated_at": {evaluated_at}'
    )
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(text, encoding="utf-8")
    result = run_cli(
        "status", "--policy", DEMO_POLICIES, "--metrics-snapshot", str(snapshot), "--format", "json"
    )
    assert result.exit_code == 2, result.output
    assert f"{snapshot}: evaluated_at" in result.output and "Traceback" not in result.output


def test_bare_slo_gate_prints_help_and_succeeds() -> None:
    result = run_cli()
    assert result.exit_code == 0
    assert "Usage:" in result.output and "check" in result.output and "status" in result.output


# ---- git -----------------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    work = tmp_path / "repo"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("hello\n", encoding="utf-8")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "root")
    (work / "services/checkout/handlers").mkdir(parents=True)
    (work / "services/checkout/handlers/cart.py").write_text("x = 1\n", encoding="utf-8")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "cart handler")
    return work


def check_in(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(repo)
    result = run_cli(
        "check",
        "--policy",
        DEMO_POLICIES,
        "--metrics-snapshot",
        SNAPSHOT,
        "--no-llm",
        "--format",
        "json",
        *args,
    )
    return result.exit_code, result.output


def test_an_unknown_ref_shows_gits_fatal_line_and_the_command(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = check_in(repo, monkeypatch, "--base", "main", "--head", "nosuchref")
    assert code == 2
    assert "fatal: ambiguous argument 'main...nosuchref'" in output
    assert "git diff" in output and "main...nosuchref" in output
    assert "usage:" not in output.lower() and "--output" not in output


def test_outside_a_repository_git_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    code, output = check_in(plain, monkeypatch, "--base", "main", "--head", "HEAD")
    assert code == 2
    assert "not a git repository" in output.lower()
    assert "--output" not in output


def test_an_all_zeros_base_judges_the_head_commit_against_its_first_parent(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = check_in(repo, monkeypatch, "--base", "0" * 40, "--head", "HEAD")
    document = json.loads(output)
    assert code in (0, 1)  # decided, not refused
    # only the head commit's file: the handler (medium by the policy's rule), not the root's README
    assert [s["service"] for s in document["services"]] == ["checkout"]
    assert document["change"]["files"] == 1 and document["change"]["risk"] == "medium"
    reasons = [r for a in document["change"]["assessments"] for r in a["reasons"]]
    assert any("all zeros" in r and "first parent" in r for r in reasons), reasons


def test_an_all_zeros_base_on_a_root_commit_is_a_whole_tree_change_at_high_risk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "root"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "services/search").mkdir(parents=True)
    (work / "services/search/app.py").write_text("print(1)\n", encoding="utf-8")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "first commit")
    code, output = check_in(work, monkeypatch, "--base", "0" * 40, "--head", "HEAD")
    document = json.loads(output)
    assert code == 1  # decided: high risk fails payments' low-only tier and search's freeze
    assert document["change"]["risk"] == "high"
    reasons = [r for a in document["change"]["assessments"] for r in a["reasons"]]
    assert any("root commit" in r and "whole tree" in r for r in reasons), reasons
    assert {s["service"] for s in document["services"]} == {"checkout", "payments", "search"}


# ---- the cycle collector -------------------------------------------------------------------------


@pytest.fixture
def gc_thresholds() -> Iterator[None]:
    import gc

    before = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*before)


@pytest.mark.usefixtures("gc_thresholds")
def test_a_command_collects_cycles_rarely_and_a_long_running_one_as_cpython_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import gc

    import gate.cli.serve
    import gate.cli.watch
    from gate.cli.root import CPYTHON_GC_THRESHOLDS, GC_THRESHOLDS, long_running

    gc.set_threshold(*CPYTHON_GC_THRESHOLDS)
    assert run_cli().exit_code == 0
    assert gc.get_threshold() == GC_THRESHOLDS and GC_THRESHOLDS[0] > CPYTHON_GC_THRESHOLDS[0]
    long_running()
    assert gc.get_threshold() == CPYTHON_GC_THRESHOLDS

    calls: list[str] = []
    monkeypatch.setattr(gate.cli.watch, "long_running", lambda: calls.append("watch"))
    monkeypatch.setattr(gate.cli.serve, "long_running", lambda: calls.append("serve"))
    missing = str(tmp_path / "none")
    run_cli("watch", "--once", "--policy", missing, "--metrics-snapshot", missing)
    assert calls == []  # one round: a one-shot command
    run_cli("watch", "--every", "1m", "--policy", missing, "--metrics-snapshot", missing)
    run_cli("serve", "--policy", missing, "--metrics-snapshot", missing, "--listen", "127.0.0.1:1")
    assert calls == ["watch", "serve"]
