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
