"""The labelled corpus (tests/riskcorpus): every case through the gate's own path, and the goals.

Each case states each file's kind and the floor a reviewer would give the change; the rules must say
the same, except for the few cases marked as known misses, whose wrong answer is pinned (so a fix
shows up here). The corpus must cover every ecosystem and trap the issue lists, and the figures must
meet their goals: structural recall 100 %, docs/tests recall and precision ≥ 95 %, false-high on
low ≤ 10 %, medium/high called low ≤ 10 %. bench/risk_corpus.py prints the same figures per kind.
"""

from __future__ import annotations

import pytest

from gate.models import FileKind, RiskLevel
from tests.riskcorpus.cases import CASES, Case
from tests.riskcorpus.metrics import judge, score

BY_NAME = {case.name: case for case in CASES}


def test_case_names_are_unique() -> None:
    assert len(BY_NAME) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_case(case: Case) -> None:
    verdict = judge(case)
    want_floor, want_kinds = case.got if case.got is not None else (case.floor, case.kinds)
    assert verdict.kinds == want_kinds, verdict.risk.reasons
    assert verdict.floor is want_floor, verdict.risk.reasons
    for item in verdict.risk.file_risks:
        assert item.rule and item.because  # every floor is explained
    if case.got is not None:
        assert case.miss, "a pinned wrong answer says why the rules miss it"


@pytest.mark.parametrize(
    "group",
    [
        "Django", "Alembic", "Rails", "Prisma", "Flyway", "Liquibase", "golang-migrate", "goose",
        "xormigrate", "Atlas", "Knex", "Sequelize", "TypeORM", "EF Core", "Laravel", "SQL DDL",
        "Terraform", "OpenTofu", "Pulumi", "CDK", "CloudFormation", "Ansible", "Helm", "kustomize",
        "Kubernetes", "GitHub Actions", "GitLab CI", "CircleCI", "Jenkins", "Azure Pipelines", "Buildkite",
        "Drone", "Woodpecker", "Travis", "Argo CD", "Flux", "Docker", "Compose", "Podman", "auth", "CORS",
        "crypto", "passwords", "tokens", "cookies", "OpenAPI", "Go", "TypeScript", "Java", "e2e",
        "snapshots", "tests", "docs", "comments", "layout", "npm", "policy",
    ],
)  # fmt: skip
def test_the_corpus_covers_every_ecosystem(group: str) -> None:
    assert any(case.group == group for case in CASES)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("notes kept in a migrations folder", FileKind.DOCS),
        ("a README inside db/migrate (a migration folder that holds docs)", FileKind.DOCS),
        ("a Django app named docs holds a migration (docs/ that holds a migration)", FileKind.MIGRATION),
        ("a Dockerfile under docs/examples", FileKind.CONTAINER),
        ("a Kubernetes manifest kept as a test fixture", FileKind.TESTS),
    ],
)
def test_the_traps_the_issue_names(name: str, kind: FileKind) -> None:
    case = BY_NAME[name]
    assert case.trap
    assert set(judge(case).kinds.values()) == {kind}


def test_the_goals_are_met() -> None:
    result = score(judge(case) for case in CASES)
    figures = result.overall()
    assert result.meets_goals() == dict.fromkeys(figures, True), {k: str(v) for k, v in figures.items()}
    assert all(ratio.total > 0 for ratio in result.structural.values())
    assert all(
        ratio.total > 0 for ratio in (*result.exempt_recall.values(), *result.exempt_precision.values())
    )
    assert result.low_called_high.total >= 30 and result.risky_called_low.total >= 100


def test_the_metrics_count_what_they_say() -> None:
    """Scored against a hand count on four cases: two right, one false-high on low, one risky called low."""
    picked = [
        BY_NAME["a root Dockerfile"],
        BY_NAME["a guide under docs/"],
        BY_NAME["a diagram added to the docs"],  # low, pinned high (a binary file)
        BY_NAME["a Makefile deploy target"],  # medium, pinned low
    ]
    result = score(judge(case) for case in picked)
    assert (result.structural[FileKind.CONTAINER].hits, result.structural[FileKind.CONTAINER].total) == (1, 1)
    assert (result.exempt_recall[FileKind.DOCS].hits, result.exempt_recall[FileKind.DOCS].total) == (2, 2)
    assert (result.low_called_high.hits, result.low_called_high.total) == (1, 2)
    assert (result.risky_called_low.hits, result.risky_called_low.total) == (1, 2)
    assert result.cases == 4 and result.files == 4
    assert BY_NAME["a diagram added to the docs"].floor is RiskLevel.LOW
