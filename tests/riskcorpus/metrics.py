"""Score the rules on the corpus: run each case through the gate's own path and compare with its labels.

`judge` runs one case the way `slo-gate check` does (strip, redact and scan the diff, parse it, then
`gate.app.rule_floor` with the case's policy rules), so the corpus measures what the gate does, not a
copy of it. `score` turns every verdict into the figures the issue asks for:

- structural recall, per kind: of the files labelled migration, infra, ci or container, the share
  whose own floor is high;
- docs and tests recall and precision: per file, labelled kind against the rules' kind;
- false-high on low: of the changes labelled low, the share the rules call high (and, for context,
  the share they call anything above low);
- medium/high called low: of the changes labelled medium or high, the share the rules call low.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from gate.app import ChangeInput, rule_floor
from gate.models import ChangeRisk, FileKind, RiskLevel
from gate.policy import RiskConfig
from gate.risk.material import prepare_change
from tests.riskcorpus.cases import Case

STRUCTURAL = (FileKind.MIGRATION, FileKind.INFRA, FileKind.CI, FileKind.CONTAINER)
EXEMPT = (FileKind.DOCS, FileKind.TESTS)
GOALS = {
    "structural recall": ">= 100%",
    "docs/tests recall": ">= 95%",
    "docs/tests precision": ">= 95%",
    "false-high on low": "<= 10%",
    "medium/high called low": "<= 10%",
}


@dataclass(frozen=True)
class Verdict:
    case: Case
    risk: ChangeRisk

    @property
    def floor(self) -> RiskLevel:
        return self.risk.floor

    @property
    def kinds(self) -> dict[str, FileKind]:
        return {item.path: item.kind for item in self.risk.file_risks}

    @property
    def file_floors(self) -> dict[str, RiskLevel]:
        return {item.path: item.risk for item in self.risk.file_risks}


def judge(case: Case) -> Verdict:
    material, parsed = prepare_change(case.diff)
    assert parsed is not None
    change = ChangeInput(diff=parsed, material=material, policy_files=case.policy_files, markers=case.markers)
    config = RiskConfig(rules=list(case.rules))
    return Verdict(case, rule_floor(config, range(len(parsed.files)), change))


@dataclass(frozen=True)
class Ratio:
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    def __str__(self) -> str:
        value = self.value
        return "—" if value is None else f"{value * 100:.1f}% ({self.hits}/{self.total})"


@dataclass(frozen=True)
class Score:
    structural: dict[FileKind, Ratio]
    exempt_recall: dict[FileKind, Ratio]
    exempt_precision: dict[FileKind, Ratio]
    low_called_high: Ratio
    low_called_above_low: Ratio
    risky_called_low: Ratio
    risky_called_low_by_group: dict[str, Ratio]
    cases: int
    files: int

    def overall(self) -> dict[str, Ratio]:
        def total(ratios: Iterable[Ratio]) -> Ratio:
            items = list(ratios)
            return Ratio(sum(r.hits for r in items), sum(r.total for r in items))

        return {
            "structural recall": total(self.structural.values()),
            "docs/tests recall": total(self.exempt_recall.values()),
            "docs/tests precision": total(self.exempt_precision.values()),
            "false-high on low": self.low_called_high,
            "medium/high called low": self.risky_called_low,
        }

    def meets_goals(self) -> dict[str, bool]:
        figures = self.overall()
        out = {}
        for name, goal in GOALS.items():
            value = figures[name].value
            bound = float(goal.split()[1].rstrip("%")) / 100
            out[name] = value is not None and (value >= bound if goal.startswith(">=") else value <= bound)
        return out


def score(verdicts: Iterable[Verdict]) -> Score:
    structural: dict[FileKind, list[int]] = {kind: [0, 0] for kind in STRUCTURAL}
    recall: dict[FileKind, list[int]] = {kind: [0, 0] for kind in EXEMPT}
    precision: dict[FileKind, list[int]] = {kind: [0, 0] for kind in EXEMPT}
    low_high, low_above, risky_low = [0, 0], [0, 0], [0, 0]
    by_group: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    cases = files = 0
    for verdict in verdicts:
        cases += 1
        got_kinds, got_floors = verdict.kinds, verdict.file_floors
        for path, kind in verdict.case.kinds.items():
            files += 1
            if kind in STRUCTURAL:
                structural[kind][1] += 1
                structural[kind][0] += got_floors.get(path) is RiskLevel.HIGH
            if kind in EXEMPT:
                recall[kind][1] += 1
                recall[kind][0] += got_kinds.get(path) is kind
        for path, kind in got_kinds.items():
            if kind in EXEMPT:
                precision[kind][1] += 1
                precision[kind][0] += verdict.case.kinds.get(path) is kind
        if verdict.case.floor is RiskLevel.LOW:
            low_high[1] += 1
            low_above[1] += 1
            low_high[0] += verdict.floor is RiskLevel.HIGH
            low_above[0] += verdict.floor is not RiskLevel.LOW
        else:
            risky_low[1] += 1
            risky_low[0] += verdict.floor is RiskLevel.LOW
            group = by_group[verdict.case.group]
            group[1] += 1
            group[0] += verdict.floor is RiskLevel.LOW
    return Score(
        structural={kind: Ratio(*pair) for kind, pair in structural.items()},
        exempt_recall={kind: Ratio(*pair) for kind, pair in recall.items()},
        exempt_precision={kind: Ratio(*pair) for kind, pair in precision.items()},
        low_called_high=Ratio(*low_high),
        low_called_above_low=Ratio(*low_above),
        risky_called_low=Ratio(*risky_low),
        risky_called_low_by_group={name: Ratio(*pair) for name, pair in sorted(by_group.items())},
        cases=cases,
        files=files,
    )
