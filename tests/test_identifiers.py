"""Every identifier check matches the whole value: `^...$` with re.match let a trailing newline through.

(`$` matches before a final newline, so "name\\n" passed each of these checks.) The policy's own
identifiers are covered in test_policy.py; these are the other names slo-gate validates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate import promql
from gate.audit.record import SettlementRecord
from gate.audit.sink import GitSink
from gate.errors import AuditError, UsageError
from gate.gitdiff import git_diff
from gate.github.api import GitHubClient, check_repo
from gate.github.comment import marker
from gate.policy import SLI
from gate.prometheus import PrometheusSettings
from tests.support.git import GIT_ENV, git


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"):
        monkeypatch.setenv(name, GIT_ENV[name])
    for name in ("GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.setenv(name, GIT_ENV[name])
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(bare), str(work))
    (work / "app.py").write_text("x = 1\n")
    git(work, "add", "app.py")
    git(work, "commit", "-q", "-m", "app")
    git(work, "push", "-q", "origin", "HEAD:main")
    return work


def test_a_git_ref_with_a_trailing_newline_is_refused(repo: Path) -> None:
    with pytest.raises(UsageError, match="is not a git ref"):
        git_diff("main\n", "HEAD", cwd=str(repo))


def test_an_audit_remote_with_a_trailing_newline_is_refused(repo: Path) -> None:
    with pytest.raises(AuditError, match="is not a git remote name"):
        GitSink("slo-gate-audit", remote="origin\n", cwd=repo)


def test_an_audit_service_with_a_trailing_newline_cannot_name_a_file(repo: Path) -> None:
    sink = GitSink("slo-gate-audit", cwd=repo)
    with pytest.raises(AuditError, match="cannot name an audit file"):
        # built without validation, as a hostile or buggy producer could
        sink.append(SettlementRecord.model_construct(service="checkout\n"))


def test_a_file_with_a_trailing_newline_on_the_audit_branch_is_not_a_chain(repo: Path) -> None:
    git(repo, "checkout", "-q", "--orphan", "slo-gate-audit")
    git(repo, "rm", "-q", "-r", "--cached", ".")
    (repo / "audit").mkdir()
    (repo / "audit" / "checkout.jsonl").write_text("{}\n")
    (repo / "audit" / "checkout.jsonl\n").write_text("{}\n")
    git(repo, "add", "audit")
    git(repo, "commit", "-q", "-m", "audit")
    git(repo, "push", "-q", "origin", "HEAD:slo-gate-audit")
    assert list(GitSink("slo-gate-audit", cwd=repo).read()) == ["audit/checkout.jsonl"]


def test_a_comment_marker_refuses_a_trailing_newline() -> None:
    assert "checkout" in marker("checkout")
    with pytest.raises(UsageError, match="cannot be put in a comment marker"):
        marker("checkout\n")


def test_a_repository_name_with_a_trailing_newline_is_refused() -> None:
    assert check_repo("octo/app") == ("octo", "app")
    with pytest.raises(UsageError, match="must look like owner/name"):
        check_repo("octo/app\n")


def test_an_api_path_with_a_trailing_newline_is_refused() -> None:
    client = GitHubClient("t", api_url="http://127.0.0.1:9")
    assert client._url("/repos/octo/app").endswith("/repos/octo/app")
    with pytest.raises(UsageError, match="must be /segment/segment"):
        client._url("/repos/octo/app\n")


def test_a_prometheus_header_name_with_a_trailing_newline_is_refused() -> None:
    PrometheusSettings(url="http://127.0.0.1:9090", headers=(("X-Org", "a"),))
    with pytest.raises(UsageError, match="invalid header name"):
        PrometheusSettings(url="http://127.0.0.1:9090", headers=(("X-Org\n", "a"),))


def test_a_window_name_with_a_trailing_newline_is_not_a_safe_label_value() -> None:
    sli = SLI(error_query="sum(rate(e[{{.window}}]))", total_query="sum(rate(t[{{.window}}]))")
    assert "bad:5m" in promql.batch_query(sli, [promql.WindowSpec("5m", "5m", 300)])
    with pytest.raises(ValueError, match="not a safe label value"):
        promql.batch_query(sli, [promql.WindowSpec("5m\n", "5m", 300)])
