"""Which kind each changed file is, and the rule or content signal that says so. PURE (no I/O).

The rules live in one module per family (migrations, infra, delivery, containers, exempt,
security, dependencies), each a table of small functions over `PathFacts` (and, for content rules,
the file's diff lines). `classify_file` asks every table and decides by these rules, in order:

1. A gate policy file or CODEOWNERS is `config` with a high floor, whatever else it looks like.
2. Structural (migration, infra, ci, container) and exempt (docs, tests) signals compete by
   strength: the file's own name beats a framework's folder layout, which beats a folder's name,
   which beats what its lines say. On a tie the structural signal wins, unless the exempt evidence is
   a tree of files that never ship (test data; a docs or tests folder against another folder). So
   `docs/examples/Dockerfile` is a container build, the Django app `docs/migrations/0002_x.py` a
   migration, `db/migrate/README.md` documentation, a Kubernetes manifest under `tests/fixtures/` a
   test, and `docs/examples/k8s/deployment.yaml` documentation.
3. Otherwise a security-sensitive path or identifier, or a change that weakens a check, makes the file
   `sensitive`; a test that removes an access test is `sensitive` too.
4. Otherwise its own kind: `dependencies` (lock files and manifests), `config` (YAML, JSON, TOML,
   INI, …) or `code`.

Markers (`infra.MARKERS`: `Chart.yaml`, `kustomization.yaml`, …) mark their folder: `markers_of`
turns the marker files among the changed files (and any the caller knows exist in the repository)
into folders, and every file below one gets an infra signal as strong as a folder.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from gate import globs
from gate.models import FileKind, RiskLevel
from gate.risk.diff import FileBody
from gate.risk.kinds import containers, delivery, dependencies, exempt, infra, migrations, security
from gate.risk.kinds.facts import Content, PathFacts, Signal, Strength

__all__ = [
    "CODEOWNERS_NAMES",
    "DEFAULT_KINDS",
    "POLICY_GLOBS",
    "STRUCTURAL",
    "Classified",
    "Content",
    "PathFacts",
    "classify_file",
    "content_of",
    "markers_of",
    "structural_signal",
]

STRUCTURAL = (FileKind.MIGRATION, FileKind.INFRA, FileKind.CI, FileKind.CONTAINER)
EXEMPT = (FileKind.DOCS, FileKind.TESTS)
DEFAULT_KINDS = (FileKind.CODE, FileKind.CONFIG, FileKind.DEPENDENCIES)
POLICY_GLOBS = (
    "**/slo-gate*.yaml",
    "**/slo-gate*.yml",
    "**/.slo-gate*.yaml",
    "**/.slo-gate*.yml",
    ".slo-gate/**",
)
CODEOWNERS_NAMES = frozenset({"CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"})
_CONFIG_EXTS = (
    ".yaml", ".yml", ".json", ".json5", ".jsonc", ".toml", ".ini", ".cfg", ".conf", ".properties",
    ".xml", ".env.example", ".env.sample", ".plist", ".editorconfig",
)  # fmt: skip
# On a tie in strength, which structural kind names the file (a compose file in k8s/ is a container
# build; a migration in infra/ is a migration).
_PRIORITY = {FileKind.MIGRATION: 4, FileKind.CI: 3, FileKind.CONTAINER: 2, FileKind.INFRA: 1}

_PathRule = Callable[[PathFacts], Signal | None]
_ContentRule = Callable[[PathFacts, Content], Signal | None]
_STRUCTURAL_PATHS: tuple[_PathRule, ...] = (
    *migrations.PATH_RULES,
    *delivery.PATH_RULES,
    *containers.PATH_RULES,
    *infra.PATH_RULES,
)
_STRUCTURAL_CONTENT: tuple[_ContentRule, ...] = (
    *migrations.CONTENT_RULES,
    *delivery.CONTENT_RULES,
    *containers.CONTENT_RULES,
    *infra.CONTENT_RULES,
)


@dataclass(frozen=True, slots=True)
class Classified:
    """A file's kind, the rule that set it, and the floor the kind implies.

    `floor` is None for the default kinds (code, config, dependencies): theirs depends on the whole
    change (gate.risk.rules decides: low only when the rules can show it).
    """

    kind: FileKind
    rule: str
    floor: RiskLevel | None
    because: str


def content_of(body: FileBody, complete: bool) -> Content:
    """The content rules' view of a file's diff lines (`complete`: a new or deleted file)."""
    return Content(body.added, body.removed, body.context, complete=complete, hunks=body.hunks)


def markers_of(paths: Iterable[str]) -> dict[str, tuple[str, bool, str]]:
    """Folder -> (what it is, whether code files count, the marker file) for every marker file."""
    marked: dict[str, tuple[str, bool, str]] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        found = infra.MARKERS.get(name.lower())
        if found is not None:
            marked.setdefault(folder, (found[0], found[1], path))
    return marked


def _marker_signal(f: PathFacts, marked: dict[str, tuple[str, bool, str]]) -> Signal | None:
    if not marked:
        return None
    for depth in range(len(f.dirs), -1, -1):
        found = marked.get("/".join(f.dirs[:depth]))
        if found is not None and (found[1] or infra.structured(f)):
            label, _, marker = found
            return Signal(FileKind.INFRA, Strength.FOLDER, f"in a {label} (marked by {marker})")
    return None


def _governance(f: PathFacts, policy_paths: Collection[str]) -> Signal | None:
    named = "slo-gate" in f.lname or f.ldirs[:1] == (".slo-gate",)  # cheap test before the globs
    if f.path in policy_paths or (named and globs.match_any(f.path, POLICY_GLOBS)):
        return Signal(FileKind.CONFIG, Strength.NAME, "gate policy", RiskLevel.HIGH)
    if f.path in CODEOWNERS_NAMES:
        return Signal(FileKind.CONFIG, Strength.NAME, "code ownership (CODEOWNERS)", RiskLevel.HIGH)
    return None


def _strongest(signals: Iterable[Signal | None]) -> Signal | None:
    best: Signal | None = None
    for signal in signals:
        if signal is None:
            continue
        if best is None or (signal.strength, _PRIORITY.get(signal.kind, 0)) > (
            best.strength,
            _PRIORITY.get(best.kind, 0),
        ):
            best = signal
    return best


def _beats(structural: Signal, exempted: Signal) -> bool:
    if structural.strength != exempted.strength:
        return structural.strength > exempted.strength
    return not exempted.tree


def _own_kind(f: PathFacts) -> Signal:
    found = dependencies.PATH_RULES[0](f)
    if found is not None:
        return found
    if f.ends(*_CONFIG_EXTS) or f.ldirs[:1] == (".github",):
        return Signal(FileKind.CONFIG, Strength.NAME, f"configuration (*{f.ext() or f.name})")
    return Signal(FileKind.CODE, Strength.CONTENT, "no structural, docs or tests rule matches")


def structural_signal(f: PathFacts, marked: dict[str, tuple[str, bool, str]]) -> Signal | None:
    """The strongest structural signal from the path (and the markers above it)."""
    signals: list[Signal | None] = [rule(f) for rule in _STRUCTURAL_PATHS]
    signals.append(_marker_signal(f, marked))
    return _strongest(signals)


def _exempt_signal(f: PathFacts, content: Content | None) -> Signal | None:
    signals: list[Signal | None] = [rule(f) for rule in exempt.PATH_RULES]
    if content is not None:
        signals.extend(rule(f, content) for rule in exempt.CONTENT_RULES)
    return _strongest(signals)


def classify_file(
    f: PathFacts,
    content: Content | None,
    *,
    policy_paths: Collection[str] = (),
    marked: dict[str, tuple[str, bool, str]] | None = None,
) -> Classified:
    """The kind of one file by the order in the module docstring; `content` None: path only."""
    governance = _governance(f, policy_paths)
    if governance is not None:
        return Classified(governance.kind, governance.rule, governance.floor, f"{governance.rule} → high")
    structural = structural_signal(f, marked or {})
    exempted = _exempt_signal(f, content)
    if structural is None and exempted is None and content is not None:
        # What the lines say is the weakest evidence: it counts only when no path rule spoke.
        structural = _strongest(rule(f, content) for rule in _STRUCTURAL_CONTENT)
    if structural is not None and (exempted is None or _beats(structural, exempted)):
        return Classified(structural.kind, structural.rule, RiskLevel.HIGH, f"{structural.kind.value} → high")
    if exempted is not None:
        if exempted.kind is FileKind.TESTS and content is not None:
            removed = security.removed_security_tests(content)
            if removed:
                shown = ", ".join(name[:80] for name in removed[:3]) + (" …" if len(removed) > 3 else "")
                rule = f"removes access tests ({shown})"
                return Classified(
                    FileKind.SENSITIVE, rule, RiskLevel.HIGH, "weakens a check: " + rule + " → high"
                )
        return Classified(exempted.kind, exempted.rule, RiskLevel.LOW, f"{exempted.kind.value} → low")
    weakened = security.weakening(content) if content is not None else None
    sensitive = security.path_signal(f) or (
        security.content_signal(f, content) if content is not None else None
    )
    if weakened is not None:
        rule = sensitive.rule if sensitive is not None else weakened
        return Classified(FileKind.SENSITIVE, rule, RiskLevel.HIGH, f"{weakened} → high")
    if sensitive is not None:
        return Classified(
            FileKind.SENSITIVE, sensitive.rule, RiskLevel.MEDIUM, "security-sensitive → at least medium"
        )
    own = _own_kind(f)
    return Classified(own.kind, own.rule, None, "")
