"""The deterministic risk floor of a change: built-in rules, policy rules, labels. PURE (no I/O).

Built-in floors (each names the file that fired it):

- a gate policy: any path in `policy_files`, or `**/slo-gate*.y*ml`, `**/.slo-gate*.y*ml`,
  `.slo-gate/**`                                                     -> high
- a CI workflow or action: `.github/workflows/**`, `.github/actions/**`  -> high
- code ownership: `CODEOWNERS`, `.github/CODEOWNERS`, `docs/CODEOWNERS` -> high
- a container build: `Dockerfile`, `Containerfile`, `**/Dockerfile`, `**/Containerfile`,
  `**/*.dockerfile`, `**/Dockerfile.*` (not `.md`/`.rst`/`.txt`)     -> high
- a binary file, a file without a patch, any problem parsing the diff (the first five named, the
  rest counted), a diff known to be incomplete (`incomplete`, e.g. more files than GitHub lists), a path outside the repository -> high
- more than 500 changed lines (added + removed) -> medium; more than 2000 -> high
- no changed files at all (no diff): the size is unknown -> medium, unless `declared` is given or
  a diff was given that could not be parsed (a file that is not a diff: its parse problem is the
  one reason, high)
- `declared` (an explicit `--risk`) is one more floor.

Renamed files are matched on both their old and new path. Policy `RiskRule`s fire when any
changed file matches one of their `paths` (GitHub `paths` glob semantics, see gate.globs) OR one
of the PR's labels equals one of their `labels` (case-insensitive); a rule sets at least its `risk`.
Labels `risk:medium`/`risk:high` raise the floor (source "labels"); `risk:low` and unknown
`risk:` values are noted and ignored: labels never lower risk.

Category: each file gets one kind. Files that fired a built-in high path floor are never docs or
tests (a workflow is `ci`, a container build `infra`, a policy or CODEOWNERS `config`). Otherwise the
first policy rule with a category whose paths match the file decides; otherwise a file matched by a
policy rule that raises risk is not eligible for docs/tests; otherwise the built-in globs below
(binary files and big changes keep their kind: an image under docs/ is docs, and still high).
The change is `docs` when every file is docs, `tests` when every file is tests or docs (and at least
one is a test), else the category of the first policy rule that fires (in order; docs/tests
categories only count per file, and never from a label, so a label cannot make a change exempt),
else the most significant built-in kind among the files:
migration > infra > ci > code > dependencies > config (a change that touches code is `code` even
when it also touches a lock file or a YAML file). `fix` is never produced here: it needs a
verified label, handled elsewhere. The category never lowers the risk floor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gate import globs
from gate.models import Category, ChangedFile, ChangeRisk, RiskAssessment, RiskLevel, max_risk
from gate.policy import RiskConfig, RiskRule

__all__ = [
    "CI_GLOBS",
    "CODEOWNERS_GLOBS",
    "CONTAINER_GLOBS",
    "DOCS_GLOBS",
    "HIGH_LINES",
    "MEDIUM_LINES",
    "POLICY_GLOBS",
    "TESTS_GLOBS",
    "assess_rules",
    "path_sensitivity",
]

MEDIUM_LINES = 500  # more than this many changed lines -> at least medium
HIGH_LINES = 2000  # more than this -> high
_MAX_NAMED = 5  # files named individually per rule before "and N more"

POLICY_GLOBS = (
    "**/slo-gate*.yaml",
    "**/slo-gate*.yml",
    "**/.slo-gate*.yaml",
    "**/.slo-gate*.yml",
    ".slo-gate/**",
)
CI_GLOBS = (".github/workflows/**", ".github/actions/**")
CODEOWNERS_GLOBS = ("CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
CONTAINER_GLOBS = (
    "**/Dockerfile",
    "**/Containerfile",
    "**/*.dockerfile",
    "**/*.Dockerfile",
    "**/Dockerfile.*",
    "**/Containerfile.*",
    "!**/*.md",  # Dockerfile.md documents a build, it is not one
    "!**/*.rst",
    "!**/*.txt",
)

DOCS_GLOBS = (
    "docs/**",
    "doc/**",
    "**/*.md",
    "**/*.mdx",
    "**/*.markdown",
    "**/*.rst",
    "**/*.adoc",
    "**/*.asciidoc",
    "**/README",
    "**/README.txt",
    "**/CHANGELOG",
    "**/CHANGELOG.txt",
    "**/AUTHORS",
    "**/LICENSE",
    "**/LICENSE.txt",
    "**/NOTICE",
)
TESTS_GLOBS = (
    "tests/**",
    "test/**",
    "**/tests/**",
    "**/test/**",
    "**/__tests__/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "**/*_test.go",
    "**/*.test.ts",
    "**/*.test.tsx",
    "**/*.test.js",
    "**/*.test.jsx",
    "**/*.spec.ts",
    "**/*.spec.tsx",
    "**/*.spec.js",
    "**/*.spec.jsx",
    "**/*_spec.rb",
    "**/src/test/**",
)
_KIND_GLOBS: tuple[tuple[Category, tuple[str, ...]], ...] = (
    (Category.MIGRATION, ("**/migrations/**", "**/migrate/**", "**/*.sql")),
    (
        Category.INFRA,
        ("**/*.tf", "**/*.tfvars", "**/*.hcl", "infra/**", "**/k8s/**", "**/helm/**", "**/charts/**"),
    ),
    (Category.CI, (".github/**", ".gitlab-ci.yml", ".circleci/**", "Jenkinsfile", ".buildkite/**")),
    (
        Category.DEPENDENCIES,
        (
            "**/requirements*.txt",
            "**/requirements/*.txt",
            "**/constraints*.txt",
            "**/poetry.lock",
            "**/Pipfile",
            "**/Pipfile.lock",
            "**/uv.lock",
            "**/pdm.lock",
            "**/package-lock.json",
            "**/npm-shrinkwrap.json",
            "**/yarn.lock",
            "**/pnpm-lock.yaml",
            "**/go.mod",
            "**/go.sum",
            "**/Cargo.lock",
            "**/Gemfile",
            "**/Gemfile.lock",
            "**/composer.lock",
            "**/gradle.lockfile",
            "**/packages.lock.json",
        ),
    ),
    (
        Category.CONFIG,
        ("**/*.yaml", "**/*.yml", "**/*.json", "**/*.toml", "**/*.ini", "**/*.cfg", "**/*.conf"),
    ),
)
# Which kind names the whole change when files differ; code outranks lock files and config.
_KIND_ORDER = (
    Category.MIGRATION,
    Category.INFRA,
    Category.CI,
    Category.CODE,
    Category.DEPENDENCIES,
    Category.CONFIG,
)
_EXEMPT = (Category.DOCS, Category.TESTS)
_RISK_LABELS = {"low": RiskLevel.LOW, "medium": RiskLevel.MEDIUM, "high": RiskLevel.HIGH}


def assess_rules(
    files: Sequence[ChangedFile],
    labels: Sequence[str],
    config: RiskConfig,
    *,
    problems: Sequence[str] = (),
    incomplete: Sequence[str] = (),
    policy_files: Sequence[str] = (),
    declared: RiskLevel | None = None,
) -> ChangeRisk:
    """The rule floor of a change; `risk == floor` (a model may raise `risk` later, elsewhere)."""
    reasons: list[tuple[RiskLevel, str]] = []
    label_set = {label.strip().casefold() for label in labels}
    policy_paths = set()
    for name in policy_files:
        try:
            policy_paths.add(globs.normalize_path(name))
        except ValueError:
            continue

    names: dict[int, list[str]] = {}  # index -> the file's repo-relative names (new, then old)
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

    # Built-in path floors; the files they name have a fixed (never exempt) kind.
    fixed_kind: dict[int, Category] = {}
    builtins: tuple[tuple[str, Callable[[str], bool], Category], ...] = (
        (
            "changes a gate policy",
            lambda p: p in policy_paths or globs.match_any(p, POLICY_GLOBS),
            Category.CONFIG,
        ),
        ("changes a CI workflow", lambda p: globs.match_any(p, CI_GLOBS), Category.CI),
        (
            "changes code ownership (CODEOWNERS)",
            lambda p: globs.match_any(p, CODEOWNERS_GLOBS),
            Category.CONFIG,
        ),
        ("changes a container build", lambda p: globs.match_any(p, CONTAINER_GLOBS), Category.INFRA),
    )
    for description, matches, kind in builtins:
        hits = [name for i in names for name in names[i] if matches(name)]
        for i in names:
            if i not in fixed_kind and any(matches(name) for name in names[i]):
                fixed_kind[i] = kind
        reasons.extend(_named(hits, f"{description} → high", RiskLevel.HIGH))

    binaries = [changed.path for changed in files if changed.binary]
    reasons.extend(_named(binaries, "binary file, its content cannot be reviewed → high", RiskLevel.HIGH))
    patchless = [changed.path for changed in files if changed.no_patch and not changed.binary]
    reasons.extend(
        _named(
            patchless,
            "no patch available (binary or too large to show), not reviewable → high",
            RiskLevel.HIGH,
        )
    )
    # A hostile diff can have a problem on every line: the first few are named, the rest counted.
    for problem in problems[:_MAX_NAMED]:
        reasons.append((RiskLevel.HIGH, f"the diff could not be fully parsed: {problem} → high"))
    if len(problems) > _MAX_NAMED:
        more = len(problems) - _MAX_NAMED
        reasons.append((RiskLevel.HIGH, f"the diff could not be fully parsed: {more} more problems → high"))
    for gap in incomplete:
        reasons.append((RiskLevel.HIGH, f"{gap} → high"))

    added = sum(changed.added for changed in files)
    removed = sum(changed.removed for changed in files)
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

    # Policy rules, in order.
    rule_fired: list[bool] = []
    raises_risk: set[int] = set()  # files matched by a policy rule that sets risk above low
    for number, rule in enumerate(config.rules, start=1):
        path_hits = _rule_path_hits(rule, names)
        label_hits = [label for label in rule.labels if label.strip().casefold() in label_set]
        rule_fired.append(bool(path_hits or label_hits))
        if rule.category is Category.FIX and (path_hits or label_hits):
            reasons.append(
                (RiskLevel.LOW, f"policy risk rule #{number}: category fix needs a verified label, ignored")
            )
        if rule.risk is None or rule.risk is RiskLevel.LOW:
            continue
        raises_risk.update(i for i, _ in path_hits)
        effect = f"matches policy risk rule #{number} → {rule.risk.value}"
        hits_by_pattern = [f"{name} ({pattern})" for _, (name, pattern) in path_hits]
        reasons.extend(_named(hits_by_pattern, effect, rule.risk))
        for label in label_hits:
            reasons.append((rule.risk, f"label {label}: {effect}"))

    category, category_reason = _category(files, names, config.rules, rule_fired, fixed_kind, raises_risk)
    rules_risk = max_risk(*(level for level, _ in reasons))
    messages = [message for _, message in reasons]
    if not any(level is not RiskLevel.LOW for level, _ in reasons):
        messages.insert(
            0, f"no rule raised the risk: {len(files)} changed files, {total} changed lines → low"
        )
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
    )


def _named(names: Sequence[str], effect: str, level: RiskLevel) -> list[tuple[RiskLevel, str]]:
    """One reason per file (`path: effect`), at most `_MAX_NAMED`, then one for the rest."""
    unique = list(dict.fromkeys(names))
    out = [(level, f"{name}: {effect}") for name in unique[:_MAX_NAMED]]
    if len(unique) > _MAX_NAMED:
        out.append((level, f"{len(unique) - _MAX_NAMED} more files: {effect}"))
    return out


def _rule_path_hits(rule: RiskRule, names: dict[int, list[str]]) -> list[tuple[int, tuple[str, str]]]:
    """(file index, (name, pattern)) for every file a rule's `paths` include."""
    if not rule.paths:
        return []
    hits = []
    for index, file_names in names.items():
        for name in file_names:
            pattern = globs.matching_pattern(name, rule.paths)
            if pattern is not None:
                hits.append((index, (name, pattern)))
                break
    return hits


def _builtin_kind(name: str, exempt_ok: bool) -> Category:
    if exempt_ok:
        if globs.match_any(name, TESTS_GLOBS):
            return Category.TESTS
        if globs.match_any(name, DOCS_GLOBS):
            return Category.DOCS
    for kind, patterns in _KIND_GLOBS:
        if globs.match_any(name, patterns):
            return kind
    return Category.CODE


def _file_kind(
    file_names: list[str], rules: Sequence[RiskRule], fixed: Category | None, risky: bool
) -> Category:
    """One kind per file; a renamed file is docs/tests only if both its names are."""
    if fixed is not None:
        return fixed
    kinds: list[Category] = []
    for name in file_names:
        kind: Category | None = None
        for rule in rules:
            usable = rule.category is not None and rule.category is not Category.FIX and rule.paths
            if usable and globs.match_any(name, rule.paths):
                kind = rule.category
                break
        kinds.append(kind if kind is not None else _builtin_kind(name, exempt_ok=not risky))
    if not kinds:
        return Category.CODE
    non_exempt = [kind for kind in kinds if kind not in _EXEMPT]
    if non_exempt:
        return min(non_exempt, key=_rank)
    return Category.TESTS if Category.TESTS in kinds else Category.DOCS


def _rank(kind: Category) -> int:
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)


def _category(
    files: Sequence[ChangedFile],
    names: dict[int, list[str]],
    rules: Sequence[RiskRule],
    rule_fired: Sequence[bool],
    fixed_kind: dict[int, Category],
    raises_risk: set[int],
) -> tuple[Category, str | None]:
    if not files:
        return Category.CODE, None
    kinds = {i: _file_kind(names[i], rules, fixed_kind.get(i), i in raises_risk) for i in names}
    count = len(files)
    if all(kind is Category.DOCS for kind in kinds.values()):
        return Category.DOCS, f"category docs: all {count} changed files are documentation"
    if all(kind in _EXEMPT for kind in kinds.values()):
        return Category.TESTS, f"category tests: all {count} changed files are tests or documentation"
    for number, (rule, fired) in enumerate(zip(rules, rule_fired, strict=True), start=1):
        if fired and rule.category is not None and rule.category not in (*_EXEMPT, Category.FIX):
            return rule.category, f"category {rule.category.value}: policy risk rule #{number} matches"
    best = min(kinds.values(), key=_rank)
    example = next(files[i].path for i, kind in kinds.items() if kind is best)
    if best is Category.CODE:
        if any(kind in _EXEMPT for kind in kinds.values()):
            return best, f"category code: {example} is code, so the docs/tests exemption does not apply"
        return best, None
    return best, f"category {best.value}: {example} is {best.value}"


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
    """How sensitive one file's paths are by the built-in and policy path floors (size ignored).

    Used to decide which hunks a model sees first when the diff must be cut to a token budget.
    """
    names: list[str] = []
    for raw in (changed.path, changed.old_path):
        if raw is None:
            continue
        try:
            names.append(globs.normalize_path(raw))
        except ValueError:
            return RiskLevel.HIGH
    policy_paths = {p for p in policy_files}
    builtin = (POLICY_GLOBS, CI_GLOBS, CODEOWNERS_GLOBS, CONTAINER_GLOBS)
    if any(name in policy_paths or any(globs.match_any(name, g) for g in builtin) for name in names):
        return RiskLevel.HIGH
    levels = [
        rule.risk
        for rule in config.rules
        if rule.risk is not None and rule.paths and any(globs.match_any(n, rule.paths) for n in names)
    ]
    return max_risk(*levels)
