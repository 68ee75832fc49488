"""Shared pytest fixtures: the two real metrics backends, serving the same scenario data (session-scoped).

Each skips locally when its binary is missing and fails under CI=true, so the suite cannot go green
without the real backends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from tests.promfixture.server import (
    FixturePrometheus,
    FixtureUnavailable,
    find_binaries,
    running_fixture_prometheus,
)
from tests.promfixture.victoria import (
    FixtureVictoriaMetrics,
    find_binary,
    running_fixture_victoriametrics,
)


def require(name: str, check: Callable[[], object]) -> None:
    try:
        check()
    except FixtureUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the {name} fixture is unavailable: {exc}", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def prometheus() -> Iterator[FixturePrometheus]:
    """Real Prometheus on the backfilled scenarios (tests/promfixture/server.py)."""
    require("Prometheus", find_binaries)
    with running_fixture_prometheus() as prom:
        yield prom


@pytest.fixture(scope="session")
def victoriametrics() -> Iterator[FixtureVictoriaMetrics]:
    """Real VictoriaMetrics with the scenario data imported (tests/promfixture/victoria.py)."""
    require("VictoriaMetrics", find_binary)
    with running_fixture_victoriametrics() as vm:
        yield vm


# A developer's own key, endpoint or GitHub context must never reach a test run: without this a
# CLI test that omits --no-llm would call the real API, and one run in Actions would read its event.
_AMBIENT = (
    "ANTHROPIC_API_KEY",
    "SLO_GATE_ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_AUTH_TOKEN",
    "GITHUB_ACTIONS",
    "GITHUB_EVENT_PATH",
    "GITHUB_EVENT_NAME",
    "GITHUB_TOKEN",
    "SLO_GATE_GITHUB_TOKEN",
)


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in _AMBIENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLO_GATE_CACHE_DIR", str(tmp_path_factory.mktemp("slo-gate-cache")))


@pytest.fixture(scope="session")
def watch_prometheus() -> Iterator[FixturePrometheus]:
    """Real Prometheus on the watch's incident data (tests/promfixture/watch_incident.py)."""
    from tests.promfixture.watch_incident import WATCH_INCIDENT

    require("Prometheus", find_binaries)
    with running_fixture_prometheus(dataset=WATCH_INCIDENT) as prom:
        yield prom


@pytest.fixture(scope="session")
def incident_prometheus() -> Iterator[FixturePrometheus]:
    """Real Prometheus on the reports' own dataset: a 47-minute incident in a known quarter
    (tests/promfixture/incident.py), with its own cached TSDB."""
    from tests.promfixture.incident import INCIDENT

    require("Prometheus", find_binaries)
    with running_fixture_prometheus(dataset=INCIDENT) as prom:
        yield prom
