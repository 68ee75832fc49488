"""The deterministic risk floor of a change: built-in floors per file, policy rules, labels. PURE.

Every changed file gets a kind and a floor (gate.risk.floors, with the rules in gate.risk.kinds),
each naming the rule or content signal that set it:

- structural files → high: migrations (by path in the common frameworks, or SQL DDL in any file),
  infrastructure (Terraform/OpenTofu, Pulumi, CDK, CloudFormation, Ansible, Helm charts and
  kustomize folders wherever they are, Kubernetes manifests by content), CI and delivery (GitHub
  Actions, GitLab CI, CircleCI, Jenkins, Azure Pipelines, Buildkite, Drone, Woodpecker, Travis,
  Argo/Flux), container builds (Dockerfiles, Containerfiles, Compose files, `.dockerignore`);
- a gate policy (any path in `policy_files`, or `**/slo-gate*.y*ml`, `.slo-gate/**`) or CODEOWNERS
  → high;
- security-sensitive code (by path word or identifier) → at least medium; high when the change
  weakens a check (a widened CORS origin, TLS verification off, a removed access check or test);
- docs and tests → low;
- code, config and dependency files → medium, unless the rules show they are low: comments and layout
  only, a patch-level version bump, a policy rule with `risk: low`, or a small change (≤ 20 changed
  lines in ≤ 2 such files).

Policy rules add floors by path or label (a label rule fires when the PR has one of its `labels`,
case-insensitive); they never remove a built-in floor. Change-wide floors: a binary file, a file
without a patch, a problem parsing the diff (the first five named, the rest counted), a diff known
to be incomplete, a path outside the repository → high; more than 500 changed lines → medium, more
than 2000 → high; no changed files at all → medium unless `declared` is given or the diff could not
be parsed (its parse problem is the one reason, high); `declared` (an explicit `--risk`) is one more
floor. Labels `risk:medium`/`risk:high` raise the floor (source "labels"); `risk:low` and unknown
levels are noted and ignored.

Reasons name the files that set the floor, at most five per kind and then a count, so a diff of
40,000 files gives a short list; every file's kind, rule and floor is in `ChangeRisk.file_risks`, and
`ChangeRisk.kinds` counts files per kind.

Category: the change is `docs` when every file is docs, `tests` when every file is tests or docs
(and at least one is a test), else the category of the first policy rule that fires (in order;
docs/tests categories count only per file and never from a label, so a label cannot make a change
exempt), else the most significant kind among the files: migration > infra (container builds too) >
ci > code (sensitive files too) > dependencies > config. `fix` is never produced here: it needs a
verified label, handled elsewhere. The category never lowers the floor.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from gate import globs
from gate.models import (
    Category,
    ChangedFile,
    ChangeRisk,
    FileKind,
    FileRisk,
    RiskAssessment,
    RiskLevel,
    max_risk,
)
from gate.policy import RiskConfig
from gate.risk.diff import FileBody
from gate.risk.floors import (
    MEDIUM_LINES,
    FileState,
    apply_policy,
    classify_files,
    justify_defaults,
    stricter,
)
from gate.risk.kinds import EXEMPT, STRUCTURAL, PathFacts, classify_file

__all__ = ["HIGH_LINES", "MEDIUM_LINES", "assess_rules", "path_sensitivity"]

HIGH_LINES = 2000  # more changed lines than this -> high
_MAX_NAMED = 5  # files named individually per kind before "and N more"
_RISK_LABELS = {"low": RiskLevel.LOW, "medium": RiskLevel.MEDIUM, "high": RiskLevel.HIGH}
_KIND_CATEGORY = {
    FileKind.MIGRATION: Category.MIGRATION,
    FileKind.INFRA: Category.INFRA,
    FileKind.CONTAINER: Category.INFRA,
    FileKind.CI: Category.CI,
    FileKind.SENSITIVE: Category.CODE,
    FileKind.CODE: Category.CODE,
    FileKind.DEPENDENCIES: Category.DEPENDENCIES,
    FileKind.CONFIG: Category.CONFIG,
    FileKind.DOCS: Category.DOCS,
    FileKind.TESTS: Category.TESTS,
}
# Which category names the whole change when files differ; code outranks lock files and config.
_CATEGORY_ORDER = (
    Category.MIGRATION,
    Category.INFRA,
    Category.CI,
    Category.CODE,
    Category.DEPENDENCIES,
    Category.CONFIG,
)
_EXEMPT_CATEGORIES = (Category.DOCS, Category.TESTS)
_Reasons = list[tuple[RiskLevel, str]]


def assess_rules(
    files: Sequence[ChangedFile],
    labels: Sequence[str],
    config: RiskConfig,
    *,
    problems: Sequence[str] = (),
    incomplete: Sequence[str] = (),
    policy_files: Sequence[str] = (),
    declared: RiskLevel | None = None,
    bodies: Sequence[FileBody | None] | None = None,
    markers: Collection[str] = (),
) -> ChangeRisk:
    """The rule floor of a change; `risk == floor` (a model may raise `risk` later, elsewhere).

    `bodies` holds each file's diff lines (same order as `files`; None where unknown): without them
    only paths are read, so nothing can be shown to be comments-only or a patch bump. `markers` are
    marker files (`Chart.yaml`, `kustomization.yaml`, …) known to exist in the repository.
    """
    reasons: _Reasons = []
    names = _valid_names(files, reasons)
    policy_paths = _normalised(policy_files)
    added = sum(changed.added for changed in files)
    removed = sum(changed.removed for changed in files)
    total = added + removed
    states = classify_files(files, names, bodies, policy_files=policy_paths, markers=_normalised(markers))
    apply_policy(states, config.rules)
    justify_defaults(states, config.rules, total)
    verdicts = [state.verdict() for state in states]
    reasons += _file_reasons(states)
    reasons += _policy_reasons(states, labels, config)
    reasons += _change_reasons(files, problems, incomplete, added, removed, declared)

    category, category_reason = _category(states, config, labels)
    rules_risk = max_risk(*(level for level, _ in reasons))
    messages = [
        message for level, message in reasons if level is not RiskLevel.LOW or rules_risk is RiskLevel.LOW
    ]
    if rules_risk is RiskLevel.LOW:
        messages = _why_low(states, total) + messages
    if category_reason:
        messages.append(category_reason)
    assessments = [RiskAssessment(source="rules", risk=rules_risk, category=category, reasons=messages)]
    labels_assessment = _labels(labels)
    if labels_assessment is not None:
        assessments.append(labels_assessment)
    floor = max_risk(*(a.risk for a in assessments))
    return ChangeRisk(
        risk=floor,
        category=category,
        floor=floor,
        assessments=assessments,
        files=list(files),
        lines_added=added,
        lines_removed=removed,
        file_risks=verdicts,
        kinds=_kind_counts(verdicts),
    )


def _normalised(paths: Collection[str]) -> set[str]:
    out = set()
    for name in paths:
        try:
            out.add(globs.normalize_path(name))
        except ValueError:
            continue
    return out


def _valid_names(files: Sequence[ChangedFile], reasons: _Reasons) -> dict[int, list[str]]:
    """index -> the file's repo-relative names (new, then old); a path outside the repo is high."""
    names: dict[int, list[str]] = {}
    for index, changed in enumerate(files):
        valid: list[str] = []
        for raw in (changed.path, changed.old_path):
            if raw is None:
                continue
            try:
                valid.append(globs.normalize_path(raw))
            except ValueError:
                reasons.append((RiskLevel.HIGH, f"{raw}: not a path inside the repository → high"))
        names[index] = list(dict.fromkeys(valid))
    return names


def _kind_counts(verdicts: Sequence[FileRisk]) -> dict[FileKind, int]:
    counts = dict.fromkeys(FileKind, 0)
    for verdict in verdicts:
        counts[verdict.kind] += 1
    return {kind: count for kind, count in counts.items() if count}


def _named(names: Sequence[str], effect: str, level: RiskLevel) -> _Reasons:
    """One reason per file (`path: effect`), at most `_MAX_NAMED`, then one for the rest."""
    unique = list(dict.fromkeys(names))
    out = [(level, f"{name}: {effect}") for name in unique[:_MAX_NAMED]]
    if len(unique) > _MAX_NAMED:
        out.append((level, f"{len(unique) - _MAX_NAMED} more files: {effect}"))
    return out


def _file_reasons(states: Sequence[FileState]) -> _Reasons:
    """The files that set a floor above low, grouped by kind (five named per kind, then a count);
    the default medium files as one reason."""
    reasons: _Reasons = []
    groups: dict[tuple[FileKind, RiskLevel], list[FileState]] = {}
    defaults: list[FileState] = []
    for state in states:
        assert state.floor is not None
        if state.floor is RiskLevel.LOW or state.policy_hits:
            continue  # low files are summarised in _why_low; policy rules give their own reasons
        if not state.builtin and state.kind not in STRUCTURAL and state.kind is not FileKind.SENSITIVE:
            defaults.append(state)
            continue
        groups.setdefault((state.kind, state.floor), []).append(state)
    for (kind, level), members in groups.items():
        for state in members[:_MAX_NAMED]:
            reasons.append((level, f"{state.changed.path}: {kind.value} ({state.rule}); {state.because}"))
        if len(members) > _MAX_NAMED:
            more = len(members) - _MAX_NAMED
            reasons.append((level, f"{more} more {kind.value} files → {level.value}"))
    if defaults:
        shown = ", ".join(state.changed.path for state in defaults[:_MAX_NAMED])
        if len(defaults) > _MAX_NAMED:
            shown += f" and {len(defaults) - _MAX_NAMED} more"
        lines = sum(state.lines for state in defaults)
        reasons.append(
            (
                RiskLevel.MEDIUM,
                f"{len(defaults)} code/config file{'s' if len(defaults) > 1 else ''} ({shown}), {lines} changed "
                "lines: code is medium unless the rules show it is low (docs or tests only, comments or "
                "layout only, a patch-level version bump, or a small change of ≤ 20 lines in ≤ 2 files) "
                "→ medium",
            )
        )
    return reasons


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _why_low(states: Sequence[FileState], total: int) -> list[str]:
    """Why a low change is low: what the rules showed about each of its files."""
    if not states:
        return []
    shown = [state for state in states if state.kind not in EXEMPT]
    if not shown:
        return [f"low: {_plural(len(states), 'changed file')}, all docs or tests"]
    exempt = len(states) - len(shown)
    head = f"low: {_plural(len(states), 'changed file')}, {_plural(total, 'changed line')}"
    out = [head + (f"; {exempt} docs or tests" if exempt else "") + "; the others shown to be low:"]
    for state in shown[:_MAX_NAMED]:
        out.append(f"{state.changed.path}: {state.kind.value}, {state.because}")
    if len(shown) > _MAX_NAMED:
        out.append(f"{len(shown) - _MAX_NAMED} more files shown to be low")
    return out


def _policy_reasons(states: Sequence[FileState], labels: Sequence[str], config: RiskConfig) -> _Reasons:
    reasons: _Reasons = []
    label_set = {label.strip().casefold() for label in labels}
    for number, rule in enumerate(config.rules, start=1):
        label_hits = [label for label in rule.labels if label.strip().casefold() in label_set]
        path_hits = [
            (state.names, name, pattern)
            for state in states
            for hit_number, name, pattern in state.policy_hits
            if hit_number == number
        ]
        if rule.category is Category.FIX and (label_hits or _matches_any(states, rule.paths)):
            reasons.append(
                (RiskLevel.LOW, f"policy risk rule #{number}: category fix needs a verified label, ignored")
            )
        if rule.risk is None or rule.risk is RiskLevel.LOW:
            continue
        effect = f"matches policy risk rule #{number} → {rule.risk.value}"
        reasons.extend(_named([f"{name} ({pattern})" for _, name, pattern in path_hits], effect, rule.risk))
        for label in label_hits:
            reasons.append((rule.risk, f"label {label}: {effect}"))
    return reasons


def _matches_any(states: Sequence[FileState], patterns: Sequence[str]) -> bool:
    return bool(patterns) and any(globs.match_any(name, patterns) for s in states for name in s.names)


def _change_reasons(
    files: Sequence[ChangedFile],
    problems: Sequence[str],
    incomplete: Sequence[str],
    added: int,
    removed: int,
    declared: RiskLevel | None,
) -> _Reasons:
    reasons: _Reasons = []
    binaries = [changed.path for changed in files if changed.binary]
    reasons += _named(binaries, "binary file, its content cannot be reviewed → high", RiskLevel.HIGH)
    patchless = [changed.path for changed in files if changed.no_patch and not changed.binary]
    reasons += _named(
        patchless, "no patch available (binary or too large to show), not reviewable → high", RiskLevel.HIGH
    )
    # A hostile diff can have a problem on every line: the first few are named, the rest counted.
    for problem in problems[:_MAX_NAMED]:
        reasons.append((RiskLevel.HIGH, f"the diff could not be fully parsed: {problem} → high"))
    if len(problems) > _MAX_NAMED:
        more = len(problems) - _MAX_NAMED
        reasons.append((RiskLevel.HIGH, f"the diff could not be fully parsed: {more} more problems → high"))
    for gap in incomplete:
        reasons.append((RiskLevel.HIGH, f"{gap} → high"))
    total = added + removed
    if total > HIGH_LINES:
        reasons.append(
            (RiskLevel.HIGH, f"{total} changed lines (+{added}/-{removed}), more than {HIGH_LINES} → high")
        )
    elif total > MEDIUM_LINES:
        reasons.append(
            (
                RiskLevel.MEDIUM,
                f"{total} changed lines (+{added}/-{removed}), more than {MEDIUM_LINES} → medium",
            )
        )
    if not files and declared is None and not problems:
        reasons.append((RiskLevel.MEDIUM, "no diff: the size of the change is unknown → medium"))
    if declared is not None:
        reasons.append((declared, f"risk declared explicitly as {declared.value} → {declared.value}"))
    return reasons


def _category(
    states: Sequence[FileState], config: RiskConfig, labels: Sequence[str]
) -> tuple[Category, str | None]:
    if not states:
        return Category.CODE, None
    categories = [_KIND_CATEGORY[state.kind] for state in states]
    count = len(states)
    if all(category is Category.DOCS for category in categories):
        return Category.DOCS, f"category docs: all {count} changed files are documentation"
    if all(category in _EXEMPT_CATEGORIES for category in categories):
        return Category.TESTS, f"category tests: all {count} changed files are tests or documentation"
    label_set = {label.strip().casefold() for label in labels}
    for number, rule in enumerate(config.rules, start=1):
        category = rule.category
        if category is None or category in (*_EXEMPT_CATEGORIES, Category.FIX):
            continue
        fired = any(label.strip().casefold() in label_set for label in rule.labels) or _matches_any(
            states, rule.paths
        )
        if fired:
            return category, f"category {category.value}: policy risk rule #{number} matches"
    best = min(
        categories, key=lambda c: _CATEGORY_ORDER.index(c) if c in _CATEGORY_ORDER else len(_CATEGORY_ORDER)
    )
    example = next(state for state, category in zip(states, categories, strict=True) if category is best)
    if best is Category.CODE:
        if any(category in _EXEMPT_CATEGORIES for category in categories):
            return (
                best,
                f"category code: {example.changed.path} is {example.kind.value}, so the docs/tests exemption does not apply",
            )
        return best, None
    return best, f"category {best.value}: {example.changed.path} is {example.kind.value}"


def _labels(labels: Sequence[str]) -> RiskAssessment | None:
    """The `risk:<level>` labels: medium/high raise the floor; low and unknown levels are noted only."""
    levels: list[RiskLevel] = []
    reasons: list[str] = []
    for label in dict.fromkeys(labels):
        key, sep, value = label.strip().partition(":")
        if not sep or key.strip().casefold() != "risk":
            continue
        level = _RISK_LABELS.get(value.strip().casefold())
        if level is None:
            reasons.append(f"label {label}: not a risk level (low, medium, high), ignored")
        elif level is RiskLevel.LOW:
            reasons.append(f"label {label}: labels can only raise risk, ignored")
        else:
            levels.append(level)
            reasons.append(f"label {label} → {level.value}")
    if not reasons:
        return None
    return RiskAssessment(source="labels", risk=max_risk(*levels), reasons=reasons)


def path_sensitivity(changed: ChangedFile, config: RiskConfig, policy_files: Sequence[str] = ()) -> RiskLevel:
    """How sensitive one file's paths are by the built-in kinds and policy path floors (size and
    content ignored; code counts as low here). Used to decide which hunks a model sees first when
    the diff must be cut to a token budget."""
    names: list[str] = []
    for raw in (changed.path, changed.old_path):
        if raw is None:
            continue
        try:
            names.append(globs.normalize_path(raw))
        except ValueError:
            return RiskLevel.HIGH
    policy_paths = _normalised(policy_files)
    found = [classify_file(PathFacts.of(name), None, policy_paths=policy_paths) for name in names]
    best = found[0]
    for other in found[1:]:
        best = stricter(best, other)
    builtin = best.floor if best.floor is not None and best.kind not in EXEMPT else RiskLevel.LOW
    levels = [
        rule.risk
        for rule in config.rules
        if rule.risk is not None and rule.paths and any(globs.match_any(n, rule.paths) for n in names)
    ]
    return max_risk(builtin, *levels)
