from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.cli import main
from gate.models import Category, ChangedFile, ChangeRisk, RiskLevel
from gate.policy import RiskConfig, RiskRule
from gate.risk.diff import parse_unified_diff
from gate.risk.rules import assess_rules

LOW, MEDIUM, HIGH = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH


def f(path: str, added: int = 1, removed: int = 0, **kwargs: Any) -> ChangedFile:
    return ChangedFile(path=path, added=added, removed=removed, **kwargs)


def cfg(*rules: RiskRule) -> RiskConfig:
    return RiskConfig(rules=list(rules))


def assess(
    files: list[ChangedFile], labels: list[str] | None = None, config: RiskConfig | None = None, **kw: Any
) -> ChangeRisk:
    return assess_rules(files, labels or [], config or cfg(), **kw)


@pytest.mark.parametrize(
    ("files", "policy_files", "risk", "reason"),
    [
        ([f("src/app.py")], (), LOW, "no rule raised the risk: 1 changed files, 1 changed lines → low"),
        (
            [f("policies/checkout.yaml")],
            ("policies/checkout.yaml",),
            HIGH,
            "policies/checkout.yaml: changes a gate policy → high",
        ),
        (
            [f("policies/checkout.yaml")],
            ("./policies/checkout.yaml",),
            HIGH,
            "policies/checkout.yaml: changes a gate policy",
        ),
        ([f("slo-gate.yaml")], (), HIGH, "slo-gate.yaml: changes a gate policy → high"),
        (
            [f("deploy/slo-gate-checkout.yml")],
            (),
            HIGH,
            "deploy/slo-gate-checkout.yml: changes a gate policy",
        ),
        ([f(".slo-gate/policy.yaml")], (), HIGH, ".slo-gate/policy.yaml: changes a gate policy"),
        ([f(".github/workflows/ci.yml")], (), HIGH, ".github/workflows/ci.yml: changes a CI workflow → high"),
        (
            [f(".github/workflows/sub/x.yaml")],
            (),
            HIGH,
            ".github/workflows/sub/x.yaml: changes a CI workflow",
        ),
        ([f(".github/actions/setup/action.yml")], (), HIGH, "changes a CI workflow"),
        ([f("CODEOWNERS")], (), HIGH, "CODEOWNERS: changes code ownership (CODEOWNERS) → high"),
        ([f(".github/CODEOWNERS")], (), HIGH, ".github/CODEOWNERS: changes code ownership"),
        ([f("docs/CODEOWNERS")], (), HIGH, "docs/CODEOWNERS: changes code ownership"),
        ([f("Dockerfile")], (), HIGH, "Dockerfile: changes a container build → high"),
        ([f("services/api/Dockerfile")], (), HIGH, "services/api/Dockerfile: changes a container build"),
        ([f("build/api.dockerfile")], (), HIGH, "build/api.dockerfile: changes a container build"),
        ([f("Containerfile")], (), HIGH, "Containerfile: changes a container build"),
        ([f("Dockerfile.dev")], (), HIGH, "Dockerfile.dev: changes a container build"),
        (
            [f("assets/logo.png", 0, 0, binary=True)],
            (),
            HIGH,
            "assets/logo.png: binary file, its content cannot be reviewed → high",
        ),
        (
            [f("old/ci.yml", old_path=".github/workflows/ci.yml", status="renamed")],
            (),
            HIGH,
            ".github/workflows/ci.yml: changes a CI workflow",
        ),
        ([f("../outside.txt")], (), HIGH, "../outside.txt: not a path inside the repository → high"),
    ],
)
def test_builtin_floors(
    files: list[ChangedFile], policy_files: tuple[str, ...], risk: RiskLevel, reason: str
) -> None:
    result = assess(files, policy_files=policy_files)
    assert result.floor is risk
    assert result.risk is risk
    assert any(reason in r for r in result.reasons), result.reasons


@pytest.mark.parametrize(
    "path",
    [
        "src/CODEOWNERS.md",
        "docs/Dockerfile.md",
        "src/workflows/ci.yml",
        "github/workflows/ci.yml",
        "my-slo-gate.txt",
    ],
)
def test_near_misses_stay_low(path: str) -> None:
    assert assess([f(path)]).floor is LOW


@pytest.mark.parametrize(
    ("added", "removed", "risk"),
    [
        (500, 0, LOW),
        (250, 250, LOW),
        (501, 0, MEDIUM),
        (1, 500, MEDIUM),
        (2000, 0, MEDIUM),
        (1000, 1000, MEDIUM),
        (2001, 0, HIGH),
        (0, 2001, HIGH),
    ],
)
def test_size_thresholds(added: int, removed: int, risk: RiskLevel) -> None:
    result = assess([f("src/a.py", added, 0), f("src/b.py", 0, removed)])
    assert result.floor is risk
    assert (result.lines_added, result.lines_removed) == (added, removed)
    if risk is not LOW:
        assert any(f"{added + removed} changed lines (+{added}/-{removed})" in r for r in result.reasons)


def test_problems_are_high_and_named() -> None:
    result = assess([f("src/a.py")], problems=["src/a.py: hunk header at line 5 does not match its body"])
    assert result.floor is HIGH
    assert (
        "the diff could not be fully parsed: src/a.py: hunk header at line 5 does not match its body → high"
        in (result.reasons)
    )


def test_corrupt_diff_end_to_end_is_high() -> None:
    text = "diff --git a/src/a.py b/src/a.py\n--- a/src/a.py\n+++ b/src/a.py\n@@ -1,2 +1,9 @@\n x\n-y\n+z\n"
    parsed = parse_unified_diff(text)
    assert parsed.problems
    result = assess(parsed.files, problems=parsed.problems)
    assert result.floor is HIGH
    assert result.files == parsed.files


@pytest.mark.parametrize(
    ("declared", "risk", "reason"),
    [
        (None, MEDIUM, "no diff: the size of the change is unknown → medium"),
        (LOW, LOW, "risk declared explicitly as low → low"),
        (HIGH, HIGH, "risk declared explicitly as high → high"),
    ],
)
def test_no_diff(declared: RiskLevel | None, risk: RiskLevel, reason: str) -> None:
    result = assess([], declared=declared)
    assert result.floor is risk
    assert reason in result.reasons
    assert result.category is Category.CODE
    if declared is not None:
        assert not any("no diff" in r for r in result.reasons)


@pytest.mark.parametrize(("declared", "risk"), [(LOW, LOW), (MEDIUM, MEDIUM), (HIGH, HIGH)])
def test_declared_is_a_floor(declared: RiskLevel, risk: RiskLevel) -> None:
    assert assess([f("src/a.py")], declared=declared).floor is risk
    assert assess([f("Dockerfile")], declared=declared).floor is HIGH  # never lowers


@pytest.mark.parametrize(
    ("files", "labels", "risk", "label_risk", "label_reason"),
    [
        ([f("src/a.py")], ["risk:high"], HIGH, HIGH, "label risk:high → high"),
        ([f("src/a.py")], ["risk:medium"], MEDIUM, MEDIUM, "label risk:medium → medium"),
        ([f("src/a.py")], ["RISK: High"], HIGH, HIGH, "label RISK: High → high"),
        ([f("src/a.py")], ["risk:low"], LOW, LOW, "label risk:low: labels can only raise risk, ignored"),
        (
            [f("src/a.py", 600)],
            ["risk:low"],
            MEDIUM,
            LOW,
            "label risk:low: labels can only raise risk, ignored",
        ),
        ([f("Dockerfile")], ["risk:medium"], HIGH, MEDIUM, "label risk:medium → medium"),
        ([f("src/a.py")], ["risk:extreme"], LOW, LOW, "label risk:extreme: not a risk level"),
        ([f("src/a.py")], ["risk:low", "risk:high"], HIGH, HIGH, "label risk:high → high"),
    ],
)
def test_risk_labels_only_raise(
    files: list[ChangedFile], labels: list[str], risk: RiskLevel, label_risk: RiskLevel, label_reason: str
) -> None:
    result = assess(files, labels)
    assert result.floor is risk
    (labels_assessment,) = [a for a in result.assessments if a.source == "labels"]
    assert labels_assessment.risk is label_risk
    assert any(label_reason in r for r in labels_assessment.reasons), labels_assessment.reasons


def test_no_labels_assessment_without_risk_labels() -> None:
    result = assess([f("src/a.py")], ["enhancement", "riskless"])
    assert [a.source for a in result.assessments] == ["rules"]


RULES = cfg(
    RiskRule(paths=["services/*/migrations/**", "**/*.tf"], risk=HIGH),
    RiskRule(paths=["services/checkout/**", "!services/checkout/docs/**"], risk=MEDIUM),
    RiskRule(labels=["database", "Needs-Review"], risk=HIGH),
    RiskRule(paths=["handbook/**"], category=Category.DOCS),
    RiskRule(paths=["proto/**"], category=Category.CONFIG),
    RiskRule(labels=["documentation"], category=Category.DOCS),
    RiskRule(labels=["hotfix"], category=Category.FIX),
    RiskRule(paths=["docs/runbooks/**"], risk=HIGH),
)


@pytest.mark.parametrize(
    ("files", "labels", "risk", "reason"),
    [
        (
            [f("services/checkout/migrations/0001_init.sql")],
            [],
            HIGH,
            "services/checkout/migrations/0001_init.sql (services/*/migrations/**): matches policy risk rule #1 → high",
        ),
        (
            [f("infra/modules/db/main.tf")],
            [],
            HIGH,
            "infra/modules/db/main.tf (**/*.tf): matches policy risk rule #1",
        ),
        ([f("main.tf")], [], HIGH, "main.tf (**/*.tf): matches policy risk rule #1"),
        (
            [f("services/checkout/app.py")],
            [],
            MEDIUM,
            "services/checkout/app.py (services/checkout/**): matches policy risk rule #2 → medium",
        ),
        ([f("services/checkout/docs/x.py")], [], LOW, "no rule raised"),  # excluded by `!`
        ([f("services/other/migrations/x.sql"), f("src/a.py")], [], HIGH, "services/other/migrations/x.sql"),
        ([f("src/a.py")], ["database"], HIGH, "label database: matches policy risk rule #3 → high"),
        ([f("src/a.py")], ["needs-review"], HIGH, "label Needs-Review: matches policy risk rule #3 → high"),
        ([f("src/a.py")], ["databases"], LOW, "no rule raised"),
        (
            [f("new/place.sql", old_path="services/x/migrations/1.sql", status="renamed")],
            [],
            HIGH,
            "services/x/migrations/1.sql (services/*/migrations/**)",
        ),
        (
            [f("src/a.py")],
            ["hotfix"],
            LOW,
            "policy risk rule #7: category fix needs a verified label, ignored",
        ),
    ],
)
def test_policy_rules(files: list[ChangedFile], labels: list[str], risk: RiskLevel, reason: str) -> None:
    result = assess(files, labels, RULES)
    assert result.floor is risk
    assert any(r.startswith(reason) for r in result.reasons), result.reasons
    assert result.category is not Category.FIX


def test_many_matching_files_are_summarised() -> None:
    files = [f(f".github/workflows/w{n}.yml") for n in range(12)]
    reasons = assess(files).reasons
    assert sum("changes a CI workflow" in r for r in reasons) == 6
    assert "7 more files: changes a CI workflow → high" in reasons


@pytest.mark.parametrize(
    ("paths", "labels", "category"),
    [
        (["docs/index.md"], [], Category.DOCS),
        (["README.md", "docs/img/arch.svg", "api/CHANGELOG.md", "guide.rst"], [], Category.DOCS),
        (["handbook/oncall.txt"], [], Category.DOCS),  # a policy rule with category docs
        (
            ["tests/test_app.py", "src/app_test.go", "web/button.test.ts", "pkg/tests/data.json"],
            [],
            Category.TESTS,
        ),
        (["tests/test_app.py", "docs/testing.md"], [], Category.TESTS),  # docs + tests -> tests
        (["docs/index.md", "src/app.py"], [], Category.CODE),
        (["tests/test_app.py", "src/app.py"], [], Category.CODE),
        (["src/app.py"], ["documentation"], Category.CODE),  # a label never makes a change docs
        (["db/migrations/0001.sql", "src/app.py"], [], Category.MIGRATION),
        (["schema/changes.sql"], [], Category.MIGRATION),
        (["infra/network.yaml"], [], Category.INFRA),
        (["deploy/k8s/deployment.yaml", "src/app.py"], [], Category.INFRA),
        (["deploy/helm/values.yaml"], [], Category.INFRA),
        (["Dockerfile"], [], Category.INFRA),
        ([".github/dependabot.yml"], [], Category.CI),
        ([".github/workflows/ci.yml", "src/app.py"], [], Category.CI),
        (["poetry.lock", "requirements-dev.txt"], [], Category.DEPENDENCIES),
        (["web/package-lock.json", "go.sum"], [], Category.DEPENDENCIES),
        (["poetry.lock", "src/app.py"], [], Category.CODE),  # code outranks lock files
        (["config/app.yaml", "settings.toml"], [], Category.CONFIG),
        (["config/app.yaml", "src/app.py"], [], Category.CODE),
        (["poetry.lock", "config/app.yaml"], [], Category.DEPENDENCIES),
        (["proto/api.proto", "src/app.py"], [], Category.CONFIG),  # the first matching policy rule
        (["docs/CODEOWNERS"], [], Category.CONFIG),  # a high built-in path is never docs
        (["docs/runbooks/db.md"], [], Category.CODE),  # a policy rule raises it: not exempt
        (["tests/fixtures/Dockerfile"], [], Category.INFRA),
        (["src/app.py"], ["hotfix"], Category.CODE),  # fix is never produced by rules
    ],
)
def test_categories(paths: list[str], labels: list[str], category: Category) -> None:
    result = assess([f(p) for p in paths], labels, RULES)
    assert result.category is category
    (rules,) = [a for a in result.assessments if a.source == "rules"]
    assert rules.category is category


def test_category_reasons() -> None:
    assert "category docs: all 2 changed files are documentation" in assess([f("a.md"), f("docs/b")]).reasons
    mixed = assess([f("docs/a.md"), f("src/app.py")]).reasons
    assert "category code: src/app.py is code, so the docs/tests exemption does not apply" in mixed
    assert (
        "category migration: db/migrations/1.sql is migration" in assess([f("db/migrations/1.sql")]).reasons
    )


def test_renamed_out_of_docs_is_not_docs() -> None:
    moved = f("src/notes.py", old_path="docs/notes.md", status="renamed")
    assert assess([moved]).category is Category.CODE
    assert assess([f("docs/new.md", old_path="docs/old.md", status="renamed")]).category is Category.DOCS


def test_category_never_lowers_the_floor() -> None:
    result = assess([f("docs/huge.md", added=2500)], ["risk:medium"])
    assert result.category is Category.DOCS
    assert result.floor is HIGH
    assert result.risk is HIGH
    images = assess([f("docs/diagram.png", 0, 0, binary=True)])
    assert (images.category, images.floor) == (Category.DOCS, HIGH)


def test_result_shape() -> None:
    files = [f("src/a.py", 3, 2), f("Dockerfile", 1, 1)]
    result = assess(files, ["risk:medium"])
    assert result.files == files
    assert (result.lines_added, result.lines_removed) == (4, 3)
    assert result.risk == result.floor == HIGH
    assert [a.source for a in result.assessments] == ["rules", "labels"]
    assert result.assessments[0].risk is HIGH
    assert result.llm_used is False


def test_is_pure_and_deterministic() -> None:
    files = [f("src/a.py"), f("docs/x.md"), f(".github/workflows/a.yml")]
    labels = ["risk:medium", "database"]
    first = assess(files, labels, RULES)
    assert assess(list(files), list(labels), RULES) == first
    assert files == [f("src/a.py"), f("docs/x.md"), f(".github/workflows/a.yml")]


_PATHS = [
    "src/app.py",
    "docs/index.md",
    "tests/test_x.py",
    "Dockerfile",
    ".github/workflows/ci.yml",
    "CODEOWNERS",
    "slo-gate.yaml",
    "services/checkout/migrations/1.sql",
    "services/checkout/app.py",
    "handbook/x.txt",
    "poetry.lock",
    "config/app.yaml",
]
_LABELS = ["risk:low", "risk:medium", "risk:high", "database", "documentation", "hotfix", "bug", "risk:nope"]

changed_files = st.builds(
    ChangedFile,
    path=st.sampled_from(_PATHS),
    added=st.integers(0, 1200),
    removed=st.integers(0, 1200),
    binary=st.booleans(),
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    files=st.lists(changed_files, min_size=1, max_size=6),
    extra=changed_files,
    labels=st.lists(st.sampled_from(_LABELS), max_size=3),
    extra_label=st.sampled_from(_LABELS),
    declared=st.none() | st.sampled_from(list(RiskLevel)),
)
def test_adding_a_file_or_label_never_lowers_the_floor(
    files: list[ChangedFile],
    extra: ChangedFile,
    labels: list[str],
    extra_label: str,
    declared: RiskLevel | None,
) -> None:
    base = assess(files, labels, RULES, declared=declared).floor
    assert assess([*files, extra], labels, RULES, declared=declared).floor.rank >= base.rank
    assert assess(files, [*labels, extra_label], RULES, declared=declared).floor.rank >= base.rank
    assert assess(files, labels, RULES, declared=declared, problems=["x"]).floor is HIGH


def test_a_file_that_is_not_a_diff_gives_one_reason_high() -> None:
    parsed = parse_unified_diff("Meeting notes\n- ship it on friday\n")
    result = assess(parsed.files, problems=parsed.problems)
    assert result.floor is HIGH
    assert result.reasons == [
        "the diff could not be fully parsed: no file headers found: this does not look like a unified diff → high"
    ]


def test_check_with_a_notes_file_as_diff_names_only_the_parse_failure(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Meeting notes\n- ship it on friday\n", "utf-8")
    demo = Path(__file__).resolve().parent.parent / "gate" / "data" / "demo"
    result = CliRunner().invoke(
        main,
        ["check", "--policy", str(demo / "policies"), "--metrics-snapshot", str(demo / "snapshot.json"),
         "--diff", str(notes), "--format", "json", "--no-llm"],
        catch_exceptions=False,
    )  # fmt: skip
    services = json.loads(result.output)["services"]
    assert services
    for service in services:
        assert service["change"]["risk"] == "high"
        reasons = [reason for a in service["change"]["assessments"] for reason in a["reasons"]]
        assert [r for r in reasons if "diff" in r] == [
            "the diff could not be fully parsed: no file headers found: this does not look like a unified "
            "diff → high"
        ]


def test_a_problem_on_every_line_gives_a_bounded_list_of_reasons() -> None:
    parsed = parse_unified_diff("@@ -1 +1 @@\n" * 5000)  # a hunk header outside any file, 5000 times
    more = len(parsed.problems) - 5
    assert more > 5000
    result = assess(parsed.files, problems=parsed.problems)
    assert result.floor is HIGH
    parse_reasons = [r for r in result.reasons if r.startswith("the diff could not be fully parsed")]
    assert parse_reasons[:5] == [
        f"the diff could not be fully parsed: {p} → high" for p in parsed.problems[:5]
    ]
    assert parse_reasons[5:] == [f"the diff could not be fully parsed: {more} more problems → high"]
