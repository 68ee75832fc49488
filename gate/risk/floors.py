"""Each changed file's kind and floor under one policy: built-in kinds, policy rules, and when a
default file may be low. PURE (no I/O).

A file's kind comes from gate.risk.kinds (a renamed file is judged by the stricter of its two
names). Then the policy's risk rules, in order:

- a rule with a `category` whose `paths` match names the file's kind, unless a built-in structural
  or security floor claims it (a policy can add a floor, never remove one): `category: docs` cannot
  make a Dockerfile documentation, `category: migration` makes `schema/**` a migration (high);
- a rule whose `paths` match and whose `risk` is medium or high raises the file's floor; a docs or
  tests file it matches is no longer exempt (kind `code`);
- a rule whose `paths` match and whose `risk` is low opts a default file (code, config,
  dependencies) into low: it lowers only that default, never a structural or sensitive floor.

Default files (code, config, dependencies) are medium unless the rules can show they are low
(`justify_defaults`): the change to them is comments and layout only (gate.risk.cosmetic), a
lock file or manifest moves versions only within their patch level
(gate.risk.kinds.dependencies.patch_bump), the policy opted them into low, or what is left is a
small change: at most `SMALL_FILES` files with at most `SMALL_LINES` changed lines together. Dependency
files, API contracts (OpenAPI, protobuf, GraphQL, …), production configuration
(`application-prod.yml`, `config/production/…`) and SQL that writes data (a backfill's `UPDATE …
SET`) are never low as a small change: one line of them is still a real change.
These checks run only when the change is small enough to be low at all (`MEDIUM_LINES`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from gate import globs
from gate.models import Category, ChangedFile, FileKind, FileRisk, RiskLevel, max_risk
from gate.policy import RiskRule
from gate.risk.cosmetic import cosmetic_language
from gate.risk.diff import FileBody
from gate.risk.kinds import (
    DEFAULT_KINDS,
    EXEMPT,
    STRUCTURAL,
    Classified,
    PathFacts,
    classify_file,
    content_of,
    markers_of,
)
from gate.risk.kinds.dependencies import patch_bump
from gate.risk.kinds.exempt import api_contract
from gate.risk.kinds.infra import production_config
from gate.risk.kinds.migrations import writes_data

__all__ = [
    "MEDIUM_LINES",
    "SMALL_FILES",
    "SMALL_LINES",
    "FileState",
    "apply_policy",
    "classify_files",
    "justify_defaults",
    "stricter",
]

MEDIUM_LINES = 500  # more changed lines than this -> the change is at least medium
SMALL_FILES = 2  # a small change: at most this many default files ...
SMALL_LINES = 20  # ... with at most this many changed lines together

_CATEGORY_KIND = {
    Category.DOCS: FileKind.DOCS,
    Category.TESTS: FileKind.TESTS,
    Category.CODE: FileKind.CODE,
    Category.CONFIG: FileKind.CONFIG,
    Category.INFRA: FileKind.INFRA,
    Category.DEPENDENCIES: FileKind.DEPENDENCIES,
    Category.MIGRATION: FileKind.MIGRATION,
    Category.CI: FileKind.CI,
}


@dataclass
class FileState:
    """One file while its floor is being worked out; `floor` None: a default still to be justified."""

    index: int
    changed: ChangedFile
    names: list[str]
    kind: FileKind
    rule: str
    floor: RiskLevel | None
    because: str
    body: FileBody | None = None
    facts: PathFacts | None = None  # the first name's, cut up once
    builtin: bool = False  # a structural, governance or security floor: policies cannot remove it
    policy_hits: list[tuple[int, str, str]] = field(default_factory=list)  # (rule no., name, pattern)

    def verdict(self) -> FileRisk:
        assert self.floor is not None
        return FileRisk(
            path=self.changed.path, kind=self.kind, rule=self.rule, risk=self.floor, because=self.because
        )

    @property
    def lines(self) -> int:
        return self.changed.added + self.changed.removed


def _rank(item: Classified) -> int:
    """How strict a classification is: structural/governance, sensitive high, medium, default, exempt."""
    if item.floor is None:
        return 1
    return {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 2, RiskLevel.HIGH: 3}[item.floor]


def stricter(first: Classified, second: Classified) -> Classified:
    return second if _rank(second) > _rank(first) else first


def classify_files(
    files: Sequence[ChangedFile],
    names: dict[int, list[str]],
    bodies: Sequence[FileBody | None] | None,
    *,
    policy_files: Collection[str] = (),
    markers: Collection[str] = (),
) -> list[FileState]:
    """Built-in kinds for every file with at least one valid name (renamed: the stricter name)."""
    marked = markers_of([*(n for i in names for n in names[i]), *markers])
    states = []
    for index, file_names in names.items():
        if not file_names:
            continue
        changed = files[index]
        body = bodies[index] if bodies is not None and index < len(bodies) else None
        content = content_of(body, changed.status in ("added", "deleted")) if body is not None else None
        best: Classified | None = None
        facts = [PathFacts.of(name) for name in file_names]
        for one in facts:
            found = classify_file(one, content, policy_paths=policy_files, marked=marked)
            best = found if best is None else stricter(best, found)
        assert best is not None
        builtin = best.floor is not None and (best.kind not in EXEMPT)
        states.append(
            FileState(
                index,
                changed,
                file_names,
                best.kind,
                best.rule,
                best.floor,
                best.because,
                body,
                facts[0],
                builtin,
            )
        )
    return states


def apply_policy(states: list[FileState], rules: Sequence[RiskRule]) -> None:
    """The policy's category and path rules on each file (see the module docstring)."""
    for state in states:
        category_set = False
        opted_low: int | None = None
        for number, rule in enumerate(rules, start=1):
            if not rule.paths:
                continue
            hit = next(
                ((name, p) for name in state.names if (p := globs.matching_pattern(name, rule.paths))), None
            )
            if hit is None:
                continue
            if rule.category is not None and not category_set and rule.category in _CATEGORY_KIND:
                category_set = True
                _set_category(state, _CATEGORY_KIND[rule.category], number)
            if rule.risk is RiskLevel.LOW and opted_low is None:
                opted_low = number
            elif rule.risk is not None and rule.risk is not RiskLevel.LOW:
                state.policy_hits.append((number, hit[0], hit[1]))
        _raise(state)
        default = state.kind in DEFAULT_KINDS and state.floor is None
        if opted_low is not None and default and not state.policy_hits:
            state.floor = RiskLevel.LOW
            state.because = f"policy risk rule #{opted_low} opts it into low → low"


def _set_category(state: FileState, kind: FileKind, number: int) -> None:
    """A policy category names the kind, except over a built-in floor; a structural category may
    still claim a sensitive file (that adds a floor)."""
    if state.builtin and (kind not in STRUCTURAL or state.kind is not FileKind.SENSITIVE):
        return
    state.kind = kind
    state.rule = f"policy risk rule #{number} (category {kind.value})"
    if kind in STRUCTURAL:
        state.floor, state.because, state.builtin = RiskLevel.HIGH, f"{kind.value} → high", True
    elif kind in EXEMPT:
        state.floor, state.because = RiskLevel.LOW, f"{kind.value} → low"
    else:
        state.floor, state.because = None, ""


def _raise(state: FileState) -> None:
    """A docs or tests file that a policy rule raises is no longer exempt."""
    if state.policy_hits and state.kind in EXEMPT:
        number, _, pattern = state.policy_hits[0]
        state.kind = FileKind.CODE
        state.rule = f"policy risk rule #{number} ({pattern}) raises it, so it is not exempt"
        state.floor = None


def _policy_floor(state: FileState, rules: Sequence[RiskRule]) -> RiskLevel | None:
    levels = [rules[number - 1].risk for number, _, _ in state.policy_hits]
    return max_risk(*(level for level in levels if level is not None)) if levels else None


def justify_defaults(states: list[FileState], rules: Sequence[RiskRule], total_lines: int) -> None:
    """Give every default file (floor None) its floor: low when shown, else medium."""
    pending: list[FileState] = []
    for state in states:
        raised = _policy_floor(state, rules)
        if state.floor is None and raised is not None:
            state.floor = raised
            state.because = f"policy risk rule #{state.policy_hits[0][0]} → {raised.value}"
            continue
        if raised is not None and state.floor is not None and raised.rank > state.floor.rank:
            state.floor = raised
            state.because += f"; policy risk rule #{state.policy_hits[0][0]} → {raised.value}"
        if state.floor is None:
            pending.append(state)
    checkable = total_lines <= MEDIUM_LINES
    rest: list[FileState] = []
    for state in pending:
        shown = _shown_low(state) if checkable else None
        if shown is not None:
            state.floor, state.because = RiskLevel.LOW, shown
        else:
            rest.append(state)
    lines = sum(state.lines for state in rest)
    small = checkable and len(rest) <= SMALL_FILES and lines <= SMALL_LINES
    for state in rest:
        never_small = _never_small(state)
        if never_small is not None:
            state.floor, state.because = RiskLevel.MEDIUM, never_small
        elif small:
            state.floor = RiskLevel.LOW
            files = f"{len(rest)} file" + ("s" if len(rest) > 1 else "")
            state.because = (
                f"small change ({files}, {lines} changed line{'' if lines == 1 else 's'}: ≤ {SMALL_FILES} "
                f"files, ≤ {SMALL_LINES} lines, outside docs, tests and sensitive paths) → low"
            )
        else:
            state.floor = RiskLevel.MEDIUM
            state.because = f"{state.kind.value} is medium unless the rules show it is low → medium"


def _never_small(state: FileState) -> str | None:
    """Why a default file is never low as a small change (None: it may be)."""
    if state.kind is FileKind.DEPENDENCIES:
        return "a dependency change is low only as a patch-level version bump → medium"
    facts = state.facts or PathFacts.of(state.names[0])
    content = content_of(state.body, False) if state.body is not None else None
    if api_contract(facts, content):
        return "an API contract is low only when the change is description-only → medium"
    if state.kind is FileKind.CONFIG and production_config(facts):
        return "production configuration is never a small change → medium"
    if content is not None and writes_data(content):
        return "changes SQL that writes data (UPDATE, DELETE, INSERT, MERGE) → medium"
    return None


def _shown_low(state: FileState) -> str | None:
    """Why a default file is low from its own diff: comments/layout only, or a patch-level bump."""
    changed, body = state.changed, state.body
    if body is None or changed.binary or changed.no_patch or changed.status == "renamed":
        return None
    if state.kind is FileKind.DEPENDENCIES and changed.status == "modified":
        content = content_of(body, False)
        if patch_bump(content):
            return "patch-level version bumps only (verified from the diff) → low"
    language = cosmetic_language(state.names[0], body.hunks)
    if language is not None:
        return f"comments and layout only (verified for {language}) → low"
    return None
