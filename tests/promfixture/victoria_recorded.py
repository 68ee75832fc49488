"""The rules dataset and its recordings in a real VictoriaMetrics: recorded reads on a second backend.

VictoriaMetrics evaluates no Prometheus rule file, so the recorded series are copied from the
backfilled Prometheus (tests/promfixture/recorded.py): every `slo:*` and `slo_gate_slo_info` series is
read with range queries at the rules' 60 s interval and imported beside the raw counters of the dataset,
all at their own timestamps. Import and readiness as in tests/promfixture/victoria.py.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from .dataset import Dataset, write_openmetrics
from .server import FixturePrometheus, FixtureUnavailable, QueryableFixture, _free_port, _stop
from .victoria import _import, _wait_healthy, find_binary

RECORDED = '{__name__=~"slo:.+|slo_gate_slo_info"}'


def export_recorded(prom: FixturePrometheus, start: int, end: int, folder: Path) -> tuple[Path, int]:
    """Every recorded sample of `prom` from `start` to `end` at its own time (a range selector returns the
    raw samples; rule groups run at their own offsets, not on the minute), as Prometheus text with
    millisecond timestamps; and how many samples VictoriaMetrics will keep."""
    names = httpx.get(f"{prom.url}/api/v1/label/__name__/values", timeout=60).json()["data"]
    lines: list[str] = []
    for name in (n for n in names if n.startswith(("slo:", "slo_gate_"))):
        resp = httpx.post(
            f"{prom.url}/api/v1/query",
            data={"query": f"{name}[{end - start}s]", "time": str(end)},
            timeout=120,
        )
        resp.raise_for_status()
        for series in resp.json()["data"]["result"]:
            labels = dict(series["metric"])
            labels.pop("__name__")
            body = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
            lines += [f"{name}{{{body}}} {value} {round(float(t) * 1000)}" for t, value in series["values"]]
    path = folder / "recorded.prom"  # Prometheus text with millisecond timestamps, ready to import
    path.write_text("\n".join(lines) + "\n")
    # VictoriaMetrics keeps no NaN sample (a window without traffic): it reads those series as absent.
    return path, sum(1 for line in lines if not line.split(" ")[-2].lower().endswith("nan"))


@contextlib.contextmanager
def running_victoriametrics_with_recordings(
    dataset: Dataset, prom: FixturePrometheus, start: int, timeout: float = 120.0
) -> Iterator[QueryableFixture]:
    """VictoriaMetrics holding the dataset's counters and `prom`'s recordings from `start` on."""
    binary = find_binary()
    with tempfile.TemporaryDirectory(prefix="slo-gate-vm-rules-") as tmp:
        folder = Path(tmp)
        files = write_openmetrics(folder, dataset)
        recorded, count = export_recorded(prom, start, dataset.end_time, folder)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = folder / "victoria-metrics.log"
        with log.open("wb") as logf:
            proc = subprocess.Popen(
                [
                    binary, f"-storageDataPath={folder / 'storage'}", "-retentionPeriod=100y",
                    f"-httpListenAddr=127.0.0.1:{port}", "-search.disableCache", "-loggerLevel=WARN",
                ],
                stdout=logf,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        try:
            _wait_healthy(url, proc, log, timeout)
            _import(url, files, timeout)
            imported = httpx.post(
                f"{url}/api/v1/import/prometheus", content=recorded.read_bytes(), timeout=timeout
            )
            if imported.status_code != 204:
                raise FixtureUnavailable(f"import of the recordings failed: HTTP {imported.status_code}")
            httpx.get(f"{url}/internal/force_flush", timeout=timeout).raise_for_status()
            vm = QueryableFixture(url=url, end_time=float(dataset.end_time))
            deadline = time.monotonic() + timeout
            seen = 0.0
            while time.monotonic() < deadline:
                found = vm.query(f"sum(count_over_time({RECORDED}[10d]))")
                seen = float(found[0]["value"][1]) if found else 0.0
                if seen >= count:
                    break
                time.sleep(0.2)
            else:
                raise FixtureUnavailable(f"only {seen:.0f} of {count} recorded samples searchable")
            yield vm
        finally:
            _stop(proc)
