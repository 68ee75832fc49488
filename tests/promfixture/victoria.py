"""The scenario data in a real VictoriaMetrics (single-node), a second backend with the Prometheus HTTP API.

Usable outside pytest::

    from tests.promfixture.victoria import running_fixture_victoriametrics

    with running_fixture_victoriametrics() as vm:
        vm.url, vm.end_time, vm.scenarios
        vm.query_value('sum(increase(http_requests_total{job="checkout"}[30d]))')

Unlike the Prometheus fixture there is no backfill step and no on-disk cache: VictoriaMetrics ingests
the same data (``write_openmetrics()``) over ``/api/v1/import/prometheus`` in a couple of seconds.

Import format: the OpenMetrics files carry timestamps in unix SECONDS; the Prometheus text format that
``/api/v1/import/prometheus`` reads carries MILLISECONDS. (1.79 happened to store a seconds value
``1792497600`` as ``1792497600000`` when tried, i.e. it guesses the unit; we do not rely on a guess.)
We therefore multiply the trailing timestamp by 1000 and drop the ``# TYPE``/``# EOF`` comment lines. After the
import we call ``/internal/force_flush`` and poll a ``count_over_time`` query until every sample is
searchable, so tests never see a partial import.

Flags: ``-retentionPeriod=100y`` (VictoriaMetrics drops samples outside retention; the data ends
2026-10-20, in the past). ``-search.disableCache`` turns off the rollup result cache, which could
otherwise keep an answer computed while the import was still becoming visible. ``-search.latencyOffset``
and ``-search.cacheTimestampOffset`` only concern timestamps within minutes of *now*; every query here
is an instant query at ``END_TIME``, so they do not matter. Caveat: VictoriaMetrics 1.79 rejects
samples more than 2 days ahead of its clock, so this fixture needs a machine clock after 2026-10-18;
``running_fixture_victoriametrics`` says so instead of importing nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from . import scenarios as sc
from .dataset import GATE, write_openmetrics
from .server import FixtureUnavailable, QueryableFixture, _free_port, _stop

BINARY_ENV = "SLO_GATE_VICTORIAMETRICS_BIN"
# VictoriaMetrics refuses samples with timestamps further ahead of its clock than this (hard-coded in 1.79).
MAX_FUTURE_SECONDS = 2 * sc.DAY


def find_binary() -> str:
    """Locate victoria-metrics (``$SLO_GATE_VICTORIAMETRICS_BIN`` overrides)."""
    env = os.environ.get(BINARY_ENV)
    if env:
        if not Path(env).exists():
            raise FixtureUnavailable(f"{BINARY_ENV}={env} does not exist")
        return env
    path = shutil.which("victoria-metrics")
    if path is None and Path("/usr/bin/victoria-metrics").exists():
        path = "/usr/bin/victoria-metrics"
    if path is None:
        raise FixtureUnavailable(
            f"victoria-metrics binary not found (install with `apt-get install -y victoria-metrics`, "
            f"or set {BINARY_ENV})"
        )
    return path


@dataclass(frozen=True)
class FixtureVictoriaMetrics(QueryableFixture):
    scenarios: dict[str, sc.Scenario]
    storage_path: Path
    samples: int  # raw samples imported (and verified searchable)
    import_seconds: float  # start + import + flush + verification, wall clock


def prometheus_text(files: list[Path]) -> Iterator[bytes]:
    """The OpenMetrics files as Prometheus text exposition with millisecond timestamps, in chunks."""
    for path in files:
        out: list[str] = []
        with path.open() as fh:
            for line in fh:
                if not line.strip() or line.startswith("#"):
                    continue
                head, _, seconds = line.rstrip("\n").rpartition(" ")
                out.append(f"{head} {int(seconds) * 1000}\n")
        yield "".join(out).encode()


def _log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else ""


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise FixtureUnavailable(f"victoria-metrics exited with {proc.returncode}: {_log_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.05)
    raise FixtureUnavailable(f"victoria-metrics not healthy after {timeout}s: {_log_tail(log)}")


def _import(url: str, files: list[Path], timeout: float) -> None:
    resp = httpx.post(f"{url}/api/v1/import/prometheus", content=prometheus_text(files), timeout=timeout)
    if resp.status_code != 204:
        raise FixtureUnavailable(f"import failed: HTTP {resp.status_code}: {resp.text[:500]}")
    httpx.get(f"{url}/internal/force_flush", timeout=timeout).raise_for_status()


def _wait_searchable(vm: FixtureVictoriaMetrics, log: Path, timeout: float) -> None:
    """Poll until every imported sample is visible to queries at END_TIME."""
    expr = 'sum(count_over_time({__name__=~"http_request.*"}[36d]))'
    deadline = time.monotonic() + timeout
    seen = 0.0
    while time.monotonic() < deadline:
        result = vm.query(expr)
        seen = float(result[0]["value"][1]) if result else 0.0
        if seen == vm.samples:
            return
        if seen > vm.samples:
            raise FixtureUnavailable(
                f"victoria-metrics holds {seen:.0f} samples, more than {vm.samples} imported"
            )
        time.sleep(0.1)
    raise FixtureUnavailable(
        f"only {seen:.0f} of {vm.samples} imported samples searchable after {timeout}s: {_log_tail(log)}"
    )


@contextlib.contextmanager
def running_fixture_victoriametrics(timeout: float = 60.0) -> Iterator[FixtureVictoriaMetrics]:
    """Start VictoriaMetrics on a fresh temp storage, import the scenarios, yield; stop it on exit."""
    binary = find_binary()
    if time.time() < sc.END_TIME - MAX_FUTURE_SECONDS:
        raise FixtureUnavailable(
            "the machine clock is before 2026-10-18: victoria-metrics rejects the fixture's samples as "
            "too far in the future"
        )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="slo-gate-vm-") as tmp:
        files = write_openmetrics(Path(tmp), GATE)
        samples = len(sc.all_series()) * len(sc.sample_times())
        log = Path(tmp) / "victoria-metrics.log"
        for attempt in range(3):
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            storage = Path(tmp) / f"storage-{attempt}"
            with log.open("wb") as logf:
                proc = subprocess.Popen(
                    [
                        binary,
                        f"-storageDataPath={storage}",
                        "-retentionPeriod=100y",
                        f"-httpListenAddr=127.0.0.1:{port}",
                        "-search.disableCache",
                        "-loggerLevel=WARN",
                    ],
                    stdout=logf,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            try:
                _wait_healthy(url, proc, log, timeout)
            except FixtureUnavailable:
                _stop(proc)
                if attempt == 2 or "address already in use" not in _log_tail(log):
                    raise
                continue
            try:
                _import(url, files, timeout)
                vm = FixtureVictoriaMetrics(
                    url=url,
                    end_time=float(sc.END_TIME),
                    scenarios=sc.SCENARIOS,
                    storage_path=storage,
                    samples=samples,
                    import_seconds=0.0,
                )
                _wait_searchable(vm, log, timeout)
                yield dataclasses.replace(vm, import_seconds=time.monotonic() - started)
            finally:
                _stop(proc)
            return
