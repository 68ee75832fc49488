"""Backfill the scenarios into a TSDB (cached on disk) and run a real Prometheus on it.

Usable outside pytest::

    from tests.promfixture.server import running_fixture_prometheus

    with running_fixture_prometheus() as prom:
        prom.url, prom.end_time, prom.scenarios
        prom.query('sum(increase(http_requests_total{job="checkout"}[30d]))')

OpenMetrics format choice: every family is declared ``# TYPE <sample name> unknown`` (e.g.
``http_requests_total``, ``http_request_duration_seconds_bucket``), with the sample names exactly as
queried. promtool 2.42 also accepts ``counter`` families, but ``unknown`` needs no suffix rules and
Prometheus' TSDB stores no type anyway, so queries see the same thing.

Backfill speed: ``promtool tsdb create-blocks-from openmetrics`` re-reads the whole input once per
2-hour block, so the cost is (number of blocks x file size). We therefore split the data into one
OpenMetrics file per UTC day (day boundaries are 2-hour-block boundaries, so blocks never overlap)
and run promtool on the files in parallel; the result is cached under
``$SLO_GATE_TSDB_CACHE`` or ``$XDG_CACHE_HOME/slo-gate-tests`` (default ``~/.cache/slo-gate-tests``)
as ``tsdb-<dataset>-<sha256 of the dataset's sources + the writer + promtool version>``. Each dataset
(tests/promfixture/dataset.py) has its own cache and its own Prometheus, so features never share data. Each run copies the cache to a
temp dir, so Prometheus never writes into it.

Before caching, Prometheus itself compacts the 421 backfilled 2-hour blocks into about a dozen
(``compact_tsdb``, about 70 s once), so queries cost what they cost on a long-running server.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from . import scenarios as sc
from .dataset import GATE, Dataset, write_openmetrics

PROMETHEUS_CONFIG = "global:\n  evaluation_interval: 1h\nscrape_configs: []\n"


class FixtureUnavailable(RuntimeError):
    """prometheus/promtool missing or the fixture could not start."""


@dataclass(frozen=True)
class Binaries:
    prometheus: str
    promtool: str


def find_binaries() -> Binaries:
    """Locate prometheus and promtool (``SLO_GATE_PROMETHEUS_BIN``/``SLO_GATE_PROMTOOL_BIN`` override)."""
    found = {}
    for name in ("prometheus", "promtool"):
        env = os.environ.get(f"SLO_GATE_{name.upper()}_BIN")
        path = (
            env or shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        )
        if not path or not Path(path).exists():
            raise FixtureUnavailable(
                f"{name} binary not found (install with `apt-get install -y prometheus`, "
                f"or set SLO_GATE_{name.upper()}_BIN)"
            )
        found[name] = path
    return Binaries(prometheus=found["prometheus"], promtool=found["promtool"])


def cache_root() -> Path:
    if env := os.environ.get("SLO_GATE_TSDB_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "slo-gate-tests"


def generator_hash(promtool: str, dataset: Dataset = GATE) -> str:
    h = hashlib.sha256()
    for f in dataset.key_files:
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    version = subprocess.run([promtool, "--version"], capture_output=True, text=True, check=False)
    h.update((version.stdout + version.stderr).encode())
    return h.hexdigest()


def build_tsdb(dest: Path, promtool: str, dataset: Dataset = GATE) -> None:
    """Generate the data and backfill it into a fresh TSDB directory ``dest``."""
    dest.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="slo-gate-om-") as tmp:
        files = write_openmetrics(Path(tmp), dataset)

        def backfill(f: Path) -> Path:
            out = Path(tmp) / (f.stem + ".tsdb")
            proc = subprocess.run(
                [promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(f), str(out)],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise FixtureUnavailable(f"promtool backfill of {f.name} failed: {proc.stderr.strip()}")
            return out

        with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
            outs = list(pool.map(backfill, files))
        for out in outs:
            for block in out.iterdir():
                if block.is_dir() and (block / "meta.json").exists():
                    block.rename(dest / block.name)


def cached_tsdb(binaries: Binaries | None = None, dataset: Dataset = GATE) -> Path:
    """Path of the dataset's cached TSDB for its current generator, building it if needed (process-safe)."""
    binaries = binaries or find_binaries()
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"tsdb-{dataset.name}-{generator_hash(binaries.promtool, dataset)[:32]}"
    if (final / ".complete").exists():
        return final
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / ".complete").exists():
            return final
        shutil.rmtree(final, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix="building-", dir=root))
        try:
            build_tsdb(staging / "tsdb", binaries.promtool, dataset)
            compact_tsdb(staging / "tsdb", binaries.prometheus)
            (staging / "tsdb" / ".complete").write_text(str(time.time()))
            (staging / "tsdb").rename(final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for stale in root.glob(f"tsdb-{dataset.name}-*"):  # this dataset's older generator versions
            if stale != final:
                shutil.rmtree(stale, ignore_errors=True)
    return final


# ---- running Prometheus -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _blocks(tsdb: Path) -> tuple[int, bool]:
    """Number of finished blocks, and whether a compaction is writing one right now."""
    entries = list(tsdb.iterdir())
    busy = any(e.name.endswith((".tmp-for-creation", ".tmp-for-deletion")) for e in entries)
    return sum(1 for e in entries if (e / "meta.json").exists()), busy


def compact_tsdb(tsdb: Path, prometheus: str, timeout: float = 240.0) -> None:
    """Let Prometheus compact the backfilled 2h blocks once, as a long-running server would have.

    promtool writes one block per 2 h (421 here); a real server holds a handful of large blocks, and
    every 30d selector pays per block (about 8 ms each at 421 blocks). Prometheus compacts on its
    first one-minute tick; we wait until the block count has dropped and stayed put.
    """
    before, _ = _blocks(tsdb)
    config = tsdb.parent / "compact.yml"
    config.write_text(PROMETHEUS_CONFIG)
    log = tsdb.parent / "compact.log"
    port = _free_port()
    with log.open("wb") as logf:
        proc = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={tsdb}",
                "--storage.tsdb.retention.time=3650d",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + timeout
        last, stable_since = before, time.monotonic()
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise FixtureUnavailable(f"prometheus exited while compacting: {log.read_text()[-2000:]}")
            count, busy = _blocks(tsdb)
            if count != last or busy:
                last, stable_since = count, time.monotonic()
            elif count < before and time.monotonic() - stable_since > 5:
                return
            time.sleep(0.5)
        raise FixtureUnavailable(f"prometheus did not compact {before} blocks within {timeout:.0f}s")
    finally:
        _stop(proc)
        for leftover in ("lock", "queries.active"):
            (tsdb / leftover).unlink(missing_ok=True)
        config.unlink(missing_ok=True)


@dataclass(frozen=True)
class QueryableFixture:
    """A running backend with the scenario data, answering the Prometheus HTTP API."""

    url: str
    end_time: float

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """Instant query at ``at`` (default: the data's end time); returns the result vector."""
        resp = httpx.get(
            f"{self.url}/api/v1/query",
            params={"query": expr, "time": repr(self.end_time if at is None else at)},
            timeout=30,
        )
        resp.raise_for_status()
        body = resp.json()
        if body.get("status") != "success":
            raise RuntimeError(f"query {expr!r} failed: {body}")
        data = body["data"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def query_value(self, expr: str, at: float | None = None) -> float:
        """Value of a query that must return exactly one sample."""
        result = self.query(expr, at)
        if len(result) != 1:
            raise AssertionError(f"expected one sample for {expr!r}, got {result}")
        return float(result[0]["value"][1])


@dataclass(frozen=True)
class FixturePrometheus(QueryableFixture):
    scenarios: dict[str, sc.Scenario]
    tsdb_path: Path
    dataset: Dataset = GATE


def serve_tsdb(prometheus: str, config: Path, tsdb: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start Prometheus serving `tsdb` on a free loopback port (not yet ready); its output goes to `log`."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as logf:
        proc = subprocess.Popen(
            [
                prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={tsdb}",
                "--storage.tsdb.retention.time=3650d",
                # the cached TSDB is already compacted: no background compaction during tests
                "--storage.tsdb.min-block-duration=2h",
                "--storage.tsdb.max-block-duration=2h",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return proc, url


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise FixtureUnavailable(
                f"prometheus exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise FixtureUnavailable(
        f"prometheus not ready after {timeout}s: {log.read_text(errors='replace')[-2000:]}"
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def running_fixture_prometheus(
    ready_timeout: float = 60.0, dataset: Dataset = GATE
) -> Iterator[FixturePrometheus]:
    """Start Prometheus on a private copy of the dataset's cached TSDB; stop it on exit."""
    binaries = find_binaries()
    source = cached_tsdb(binaries, dataset)
    with tempfile.TemporaryDirectory(prefix="slo-gate-prom-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(source, data, ignore=shutil.ignore_patterns(".complete"))
        config = Path(tmp) / "prometheus.yml"
        config.write_text(PROMETHEUS_CONFIG)
        log = Path(tmp) / "prometheus.log"
        for attempt in range(3):
            proc, url = serve_tsdb(binaries.prometheus, config, data, log)
            try:
                _wait_ready(url, proc, log, ready_timeout)
            except FixtureUnavailable:
                _stop(proc)
                if attempt == 2 or "address already in use" not in log.read_text(errors="replace"):
                    raise
                continue
            try:
                yield FixturePrometheus(
                    url=url,
                    end_time=float(dataset.end_time),
                    scenarios=dict(dataset.scenarios),
                    tsdb_path=data,
                    dataset=dataset,
                )
            finally:
                _stop(proc)
            return
