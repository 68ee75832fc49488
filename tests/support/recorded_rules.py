"""Shared fixtures of the rules tests: the exported rule file and a Prometheus holding its recordings.

Imported by the test modules that need them (pytest collects fixtures from a module's namespace).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from gate import recording as rec
from gate.export.render import render_rule_file
from gate.export.rules import RuleOptions, all_groups
from gate.policy import LoadedPolicy
from tests.conftest import require
from tests.promfixture.recorded import running_recorded_prometheus
from tests.promfixture.rules_data import ALERTS_FROM, LEVEL1_FROM, POLICIES, RULES
from tests.promfixture.server import FixturePrometheus, find_binaries

SPANS = {rec.ERROR_RATE: LEVEL1_FROM, rec.TOTAL_RATE: LEVEL1_FROM}


def rules_text(policies: tuple[LoadedPolicy, ...] = POLICIES) -> str:
    return render_rule_file(all_groups([p.policy for p in policies], RuleOptions()), ["slo-gate rules tests"])


@pytest.fixture(scope="session")
def recorded_prometheus() -> Iterator[FixturePrometheus]:
    """The rules dataset with every recording of `rules_text()` backfilled (built once, then cached)."""
    require("Prometheus", find_binaries)
    with running_recorded_prometheus(RULES, rules_text(), SPANS, ALERTS_FROM) as prom:
        yield prom


def last_evaluation(prom: FixturePrometheus, at: float) -> float:
    """When the rules last ran at or before `at`. Prometheus staggers each rule group by an offset
    derived from its name (promtool's backfill too), so evaluations are not on the minute: the exported
    alerts are judged at these times, as Prometheus would evaluate them."""
    series = f"{rec.ratio_name('5m')}{rec.selector('steady', 'availability', [(rec.WINDOW_LABEL, '5m')])}"
    return float(prom.query_value(f"timestamp({series})", at))


def write_policies(folder: Path, policies: tuple[LoadedPolicy, ...] = POLICIES) -> list[Path]:
    """The policies as files (what `check --policy` reads)."""
    paths = []
    for loaded in policies:
        data = loaded.policy.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        data["apiVersion"] = "slo-gate/v1"
        path = folder / f"{loaded.policy.service}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths
