"""Real-Prometheus test fixture: deterministic SLO scenarios backfilled with promtool."""

from .dataset import GATE, Dataset
from .scenarios import END_TIME, SCENARIOS, Scenario
from .server import FixturePrometheus, FixtureUnavailable, running_fixture_prometheus

__all__ = [
    "END_TIME",
    "GATE",
    "SCENARIOS",
    "Dataset",
    "FixturePrometheus",
    "FixtureUnavailable",
    "Scenario",
    "running_fixture_prometheus",
]
