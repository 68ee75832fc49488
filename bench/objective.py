"""How long `slo-gate objective` takes: 90 days at 1 h resolution for one SLO against the test Prometheus,
and how the time grows with the history's length and the number of candidates.

Run from the repository root:

    .venv/bin/python bench/objective.py             # 5 timed runs each (after one warm-up)
    .venv/bin/python bench/objective.py --runs 3

It starts the objective fixture's Prometheus (tests/promfixture/objective.py: 90 days of hourly
counters) and times, as median and min of N runs:

- whole process: `slo-gate objective --sli-error ... --sli-total ... --format json --no-llm` for the
  `steady` service, 90 days (the target: at most 5 s), and the same with a latency histogram;
- whole process for 30, 60 and 90 days of history (the dataset holds 90);
- in-process parts for 90 days: the range query (read_hours), the analysis (days, windows, every
  candidate's backtest), the renderers;
- in-process analysis of synthetic histories of 90, 180, 365 and 730 days (hourly counts generated
  here; no backend holds them), and one backtest for 1, 5, 10 and 20 candidates over 90 days.

It prints figures only; nothing is asserted (the target is shown as PASS/MISS).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gate.objective.backtest import BurnHistory, backtest  # noqa: E402
from gate.objective.history import read_hours  # noqa: E402
from gate.objective.recommend import Analysis, analyse, summarise  # noqa: E402
from gate.objective.series import DAY, HOUR, Hour  # noqa: E402
from gate.policy import SLI  # noqa: E402
from gate.prometheus import PrometheusClient, PrometheusSettings  # noqa: E402
from tests.promfixture import objective as data  # noqa: E402
from tests.promfixture.server import running_fixture_prometheus  # noqa: E402

TARGET_SECONDS = 5.0
ERRORS = 'sum(rate(http_requests_total{job="steady",code=~"5.."}[{{.window}}]))'
TOTAL = 'sum(rate(http_requests_total{job="steady"}[{{.window}}]))'
AT = "2026-10-20T00:00:00Z"
WINDOW = 30 * DAY


def timed(work: Callable[[], object], runs: int) -> tuple[float, float]:
    work()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def process(url: str, *extra: str) -> Callable[[], object]:
    command = [
        str(ROOT / ".venv" / "bin" / "slo-gate"),
        "objective",
        "--sli-error",
        ERRORS,
        "--sli-total",
        TOTAL,
        "--service",
        "steady",
        "--prometheus-url",
        url,
        "--at",
        AT,
        "--format",
        "json",
        "--no-llm",
        *extra,
    ]

    def run() -> object:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"slo-gate objective failed ({done.returncode}): {done.stderr[-500:]}")
        return done

    return run


def synthetic(days: int) -> list[Hour]:
    """Hourly counts with a diurnal shape and a bad day every 17 days (no backend involved)."""
    hours = []
    for index in range(days * 24):
        total = 50_000.0 + 20_000.0 * ((index % 24) - 12) ** 2 / 144
        ratio = 0.004 if (index // 24) % 17 == 5 else 0.0003
        hours.append(Hour(data.START + (index + 1) * HOUR, total * ratio, total))
    return hours


def judge(hours: Sequence[Hour]) -> Analysis:
    return analyse(hours, data.START, window="30d", window_seconds=WINDOW, tiers=(50.0, 25.0), current=None)


def row(label: str, figures: tuple[float, float], note: str = "") -> None:
    median, best = figures
    print(f"  {label:<58} median {median * 1000:8.1f} ms   min {best * 1000:8.1f} ms  {note}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    runs = args.runs
    with running_fixture_prometheus(dataset=data.OBJECTIVE) as prom:
        print(f"slo-gate objective against {prom.url} (objective fixture, 90 days hourly), {runs} runs each")
        print("whole process:")
        whole = timed(process(prom.url), runs)
        verdict = "PASS" if whole[0] <= TARGET_SECONDS else "MISS"
        row("90 days, one SLO", whole, f"target <= {TARGET_SECONDS:g} s: {verdict}")
        histogram = 'http_request_duration_seconds{job="steady"}'
        row(
            "90 days, one SLO + latency histogram (4 buckets)",
            timed(process(prom.url, "--latency-histogram", histogram), runs),
        )
        for days in (30, 60, 90):
            row(f"{days} days of history", timed(process(prom.url, "--history", f"{days}d"), runs))
        help_time = timed(
            lambda: subprocess.run(
                [str(ROOT / ".venv" / "bin" / "slo-gate"), "--help"], capture_output=True, check=True
            ),
            runs,
        )
        row("`slo-gate --help` (process start, for reference)", help_time)

        print("in process, 90 days:")
        sli = SLI(error_query=ERRORS, total_query=TOTAL)
        with PrometheusClient(PrometheusSettings(url=prom.url)) as client:
            row(
                "range query (2,160 hourly points, 2 series)",
                timed(lambda: read_hours(sli, client, data.START, data.END, None), runs),
            )
            hours = read_hours(sli, client, data.START, data.END, None)
        row(f"analysis ({len(judge(hours).candidates)} candidates)", timed(lambda: judge(hours), runs))

    print("in process, synthetic histories (analysis only):")
    for days in (90, 180, 365, 730):
        hours = synthetic(days)
        found = judge(hours)
        row(
            f"{days} days: {len(found.history.windows)} windows, {len(found.candidates)} candidates",
            timed(lambda hours=hours: judge(hours), runs),
        )
    print("in process, backtests over 90 days (per candidate count):")
    summary, prefix = summarise(synthetic(90), data.START, WINDOW)
    burns_time = timed(lambda: BurnHistory(prefix), runs)
    row("burn ratios for every hour (shared by all candidates)", burns_time)
    burns = BurnHistory(prefix)
    for count in (1, 5, 10, 20):
        objectives = [99.0 + 0.99 * i / max(1, count - 1) for i in range(count)]

        def replay(objectives: list[float] = objectives) -> None:
            for objective in objectives:
                backtest(
                    objective,
                    summary.windows,
                    burns,
                    window_seconds=WINDOW,
                    tiers=(50.0, 25.0),
                    history_days=90,
                )

        row(f"{count} candidate{'' if count == 1 else 's'}", timed(replay, runs))


if __name__ == "__main__":
    main()
