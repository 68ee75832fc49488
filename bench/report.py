"""How long the daily report takes for 20 services x 5 SLOs with 24 h series, next to `status`.

Run from the repository root:

    .venv/bin/python bench/report.py            # 3 timed runs each (after one warm-up)
    .venv/bin/python bench/report.py --runs 5

It backfills its own dataset into a real Prometheus (cached like the test fixtures: 20 services, 37
days, 300 s samples then 60 s for the last 2 days, three of them with a 30-minute 50x spike in the
last 24 h), writes 20 policies x 5 SLOs (30d, 28d, 7d rolling and a calendar month, several
objectives) and times whole processes, spawn to exit, interleaved:

- status: `slo-gate status` (the gate's instant queries: budgets and burn rates now);
- report: `slo-gate report --format json --no-llm` (now, 24 h and 7 d ago, 181-step series, incidents
  at 1-minute resolution, the period's spend) and the same with `--format html`.

It prints the medians, the report/status ratio against its goal (<= 3x) and the HTML file's size
against its goal (<= 300 kB). Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.promfixture.dataset import Dataset, SeriesSamples  # noqa: E402
from tests.promfixture.server import running_fixture_prometheus  # noqa: E402

SERVICES = 20
END = int(datetime(2026, 6, 15, 12, 0, tzinfo=UTC).timestamp())
START = END - 37 * 86400
FINE = END - 2 * 86400
RATE = 10.0
BASE = 0.0003
SPIKY = (3, 9, 15)  # services with a spike in the last 24 h
SPIKE_START = END - 10 * 3600
SPIKE_SECONDS = 1800
TARGET_RATIO = 3.0
TARGET_HTML = 300 * 1024
SLOS = (("avail-30d", 99.9, "30d"), ("avail-28d", 99.5, "28d"), ("avail-7d", 99.9, "7d"),
        ("strict-30d", 99.95, "30d"), ("month", 99.9, "{calendar: month}"))  # fmt: skip


def _times() -> list[int]:
    return list(range(START, FINE, 300)) + list(range(FINE, END + 1, 60))


def _count(service: int, errors: bool, t: int) -> float:
    rate = RATE * (1 + service / 20)
    ratio = BASE * (1 + service % 4)
    total = rate * (t - START)
    if not errors:
        return total
    bad = total * ratio
    if service in SPIKY and t > SPIKE_START:
        inside = min(t, SPIKE_START + SPIKE_SECONDS) - SPIKE_START
        bad += inside * rate * (0.05 - ratio)
    return bad


def _series() -> Iterator[SeriesSamples]:
    times = _times()
    for service in range(SERVICES):
        job = f"svc{service:02d}"
        yield (
            "http_requests_total",
            (("job", job), ("code", "500")),
            [(t, _count(service, True, t)) for t in times],
        )
        good = [(t, _count(service, False, t) - _count(service, True, t)) for t in times]
        yield "http_requests_total", (("job", job), ("code", "200")), good


BENCH = Dataset(name="bench-report", end_time=END, sources=(Path(__file__).resolve(),), series=_series)


def _policy(service: int) -> str:
    job = f"svc{service:02d}"
    lines = [f"apiVersion: slo-gate/v1\nservice: {job}\nslos:"]
    for name, objective, window in SLOS:
        lines.append(
            f"  - name: {name}\n    objective: {objective}\n    window: {window}\n    sli:\n"
            f'      error_query: sum(rate(http_requests_total{{job="{job}",code=~"5.."}}[{{{{.window}}}}]))\n'
            f'      total_query: sum(rate(http_requests_total{{job="{job}"}}[{{{{.window}}}}]))'
        )
    return "\n".join(lines) + "\n"


def _timed(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "slo-gate"), *args], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 3):
        raise SystemExit(f"slo-gate {' '.join(args[:1])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="slo-gate-bench-report-") as tmp,
        running_fixture_prometheus(dataset=BENCH) as prom,
    ):
        folder = Path(tmp) / "policies"
        folder.mkdir()
        for service in range(SERVICES):
            (folder / f"svc{service:02d}.yaml").write_text(_policy(service), encoding="utf-8")
        html = Path(tmp) / "report.html"
        common = ["--policy", str(folder), "--prometheus-url", prom.url, "--at", str(END)]
        commands = {
            "status": ["status", *common, "--format", "json"],
            "report json": [
                "report",
                *common,
                "--format",
                "json",
                "--no-llm",
                "--out",
                str(Path(tmp) / "r.json"),
            ],
            "report html": ["report", *common, "--format", "html", "--no-llm", "--out", str(html)],
        }
        for args in commands.values():  # warm-up: Prometheus' page cache, Python's bytecode
            _timed(args)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(options.runs):
            for name, args in commands.items():
                times[name].append(_timed(args))
        medians = {name: statistics.median(values) for name, values in times.items()}
        print(
            f"{SERVICES} services x {len(SLOS)} SLOs, 24 h period, median of {options.runs} runs (whole process):"
        )
        for name, seconds in medians.items():
            print(f"  {name:12s} {seconds:6.2f} s  (min {min(times[name]):.2f} s)")
        ratio = medians["report json"] / medians["status"]
        size = html.stat().st_size
        print(
            f"  report/status  {ratio:5.2f}x   goal <= {TARGET_RATIO:g}x: {'PASS' if ratio <= TARGET_RATIO else 'MISS'}"
        )
        print(
            f"  HTML size      {size / 1024:5.1f} kB  goal <= 300 kB: {'PASS' if size <= TARGET_HTML else 'MISS'}"
        )


if __name__ == "__main__":
    main()
