"""Discovery over the working tree and over a commit: the same rules, one implementation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.action import base_policies
from gate.errors import PolicyErrors
from gate.policy_load import (
    MAX_POLICY_BYTES,
    GitTree,
    LocalTree,
    discover,
    is_policy_file,
    load_policies,
)
from tests.support.git import git

POLICY = """\
apiVersion: slo-gate/v1
service: {service}
slos:
  - name: availability
    objective: 99.9
    sli:
      error_query: sum(rate(errors_total{{job="{service}"}}[{{{{.window}}}}]))
      total_query: sum(rate(requests_total{{job="{service}"}}[{{{{.window}}}}]))
"""

FILES = {
    "policies/checkout.yaml": POLICY.format(service="checkout"),
    "policies/teams/search.yml": POLICY.format(service="search"),
    "policies/.drafts/wip.yaml": POLICY.format(service="wip"),
    "policies/.hidden.yaml": POLICY.format(service="hidden"),
    "policies/teams/.git-keep/x.yaml": POLICY.format(service="x"),
    "policies/README.md": "# not a policy\n",
    "policies/notes.txt": "notes\n",
    ".github/slo/payments.yaml": POLICY.format(service="payments"),
}


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose only commit holds FILES; the working tree is then emptied."""
    work = tmp_path / "repo"
    work.mkdir()
    git(work, "init", "-q")
    for name, text in FILES.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "policies")
    commit = git(work, "rev-parse", "HEAD").strip()
    return work, commit


@pytest.mark.parametrize(
    ("relative", "taken"),
    [
        ("a.yaml", True),
        ("a.yml", True),
        ("teams/a/b.yaml", True),
        ("a.json", False),
        (".a.yaml", False),
        (".drafts/a.yaml", False),
        ("teams/.old/a.yaml", False),
        ("", False),
    ],
)
def test_the_skip_rules(relative: str, taken: bool) -> None:
    assert is_policy_file(relative) is taken


@pytest.mark.parametrize(
    "paths",
    [
        ["policies"],
        [".github/slo"],
        ["policies/", "policies/checkout.yaml"],
        ["policies/README.md"],
        ["nope"],
    ],
)
def test_a_commit_and_its_checkout_yield_the_same_files(
    repo: tuple[Path, str], paths: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    work, commit = repo
    monkeypatch.chdir(work)
    local = discover(paths, LocalTree())
    at_commit = discover(paths, GitTree(commit, str(work)))
    assert local[0] == at_commit[0]
    assert [str(e) for e in local[1]] == [str(e) for e in at_commit[1]]


def test_discovery_at_a_commit_skips_hidden_and_other_files(repo: tuple[Path, str]) -> None:
    work, commit = repo
    found, errors = discover(["policies", ".github/slo"], GitTree(commit, str(work)))
    assert found == ["policies/checkout.yaml", "policies/teams/search.yml", ".github/slo/payments.yaml"]
    assert errors == []


def test_base_policies_reads_the_commit_not_the_working_tree(repo: tuple[Path, str]) -> None:
    work, commit = repo
    (work / "policies" / "checkout.yaml").write_text("not: [valid")  # a PR's own edit, uncommitted
    loaded = base_policies(commit, ["policies"], cwd=str(work))
    assert loaded is not None
    assert [(p.path, p.policy.service) for p in loaded] == [
        ("policies/checkout.yaml", "checkout"),
        ("policies/teams/search.yml", "search"),
    ]
    assert loaded[0].source == FILES["policies/checkout.yaml"]


def test_base_policies_is_none_when_the_base_has_no_policy_there(repo: tuple[Path, str]) -> None:
    work, commit = repo
    assert base_policies(commit, ["services/new-team"], cwd=str(work)) is None


def test_an_oversized_file_at_the_base_is_refused_by_its_size(repo: tuple[Path, str]) -> None:
    work, commit = repo
    big = work / "policies" / "big.yaml"
    big.write_text("#" * (MAX_POLICY_BYTES + 1))
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "big")
    head = git(work, "rev-parse", "HEAD").strip()
    with pytest.raises(PolicyErrors) as caught:
        base_policies(head, ["policies"], cwd=str(work))
    assert [str(e) for e in caught.value.errors] == [
        f"policies/big.yaml: file is {MAX_POLICY_BYTES + 1} bytes; policy files are limited to "
        f"{MAX_POLICY_BYTES} bytes (64 KiB)"
    ]
    assert base_policies(commit, ["policies"], cwd=str(work)) is not None


def test_load_policies_reads_a_commit_through_the_same_path(repo: tuple[Path, str]) -> None:
    work, commit = repo
    loaded = load_policies(["policies/checkout.yaml", ".github/slo"], GitTree(commit, str(work)))
    assert [p.policy.service for p in loaded] == ["checkout", "payments"]
