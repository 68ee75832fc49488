"""Shared pytest fixtures. ``prometheus``: a real Prometheus serving the scenario data (session-scoped)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.promfixture.server import (
    FixturePrometheus,
    FixtureUnavailable,
    find_binaries,
    running_fixture_prometheus,
)


@pytest.fixture(scope="session")
def prometheus() -> Iterator[FixturePrometheus]:
    """Real Prometheus on the backfilled scenarios (tests/promfixture). Skips locally when the
    binaries are missing; fails under CI=true so the suite cannot go green without it."""
    try:
        find_binaries()
    except FixtureUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the Prometheus fixture is unavailable: {exc}", pytrace=False)
        pytest.skip(str(exc))
    with running_fixture_prometheus() as prom:
        yield prom
