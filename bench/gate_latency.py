"""How long `slo-gate check` takes for 100 SLOs against a real Prometheus, next to a naive and a floor.

Run from the repository root:

    .venv/bin/python bench/gate_latency.py            # 7 timed runs each (after one warm-up)
    .venv/bin/python bench/gate_latency.py --runs 3   # quicker

It starts the test fixture Prometheus (tests/promfixture), writes 20 policy files x 5 SLOs into a temp
dir and times:

- gate:   the whole `slo-gate check ... --format json` process (spawn to exit);
- naive:  the whole process of a small evaluator (this file with --naive) that sends one instant query per
          window and part, one after another (8 windows x 2 parts x 100 SLOs = 1600 queries);
- floor:  the gate's own 100 batched queries (gate.measure.slo_query) sent by 4 threads with httpx,
          measured in-process from first send to last answer: network + Prometheus, no slo-gate;
- floor + startup: the floor plus a bare `python -c pass`;
- floor as a whole process: the same queries from a process that starts Python, imports httpx, sends
  them with 4 threads and exits: what any Python tool must pay, the fair partner for the gate's process;
- `slo-gate --help`: whole process.

It prints figures only; nothing is asserted (targets are shown as PASS/MISS).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Scenario jobs of tests/promfixture/scenarios.py that have data and plain request counters.
JOBS = ("checkout", "payments", "search", "ledger", "inventory", "sessions", "static", "uneven", "billing")
OBJECTIVES = (99.9, 99.95, 99.5, 99.9, 99.0)
POLICIES = 20
SLOS_PER_POLICY = 5
BURN_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
WINDOW_TEMPLATE = re.compile(r"\{\{\s*\.window\s*\}\}")
FLOOR_THREADS = 4

TARGET_GATE_NAIVE = 0.30
TARGET_GATE_FLOOR = 1.4
TARGET_HELP_SECONDS = 0.150


# ---- policies ---------------------------------------------------------------------------------


def write_policies(folder: Path) -> None:
    """20 policies x 5 SLOs. Every SLO's query text is unique: a no-op matcher `bench!="sNNN"` (the
    label does not exist, so it matches every series) makes 100 distinct queries with identical
    semantics; objectives vary too (they do not enter the query text)."""
    for p in range(POLICIES):
        slos = []
        for s in range(SLOS_PER_POLICY):
            k = p * SLOS_PER_POLICY + s
            job = JOBS[k % len(JOBS)]
            tag = f'bench!="s{k:03d}"'
            slos.append(
                {
                    "name": f"avail-{s}",
                    "objective": OBJECTIVES[s],
                    "window": "30d",
                    "sli": {
                        "error_query": (
                            f'sum(rate(http_requests_total{{job="{job}",code=~"5..",{tag}}}[{{{{.window}}}}]))'
                        ),
                        "total_query": f'sum(rate(http_requests_total{{job="{job}",{tag}}}[{{{{.window}}}}]))',
                    },
                }
            )
        policy = {
            "apiVersion": "slo-gate/v1",
            "service": f"bench-{p:02d}",
            "slos": slos,
            "gate": {"mode": "advisory", "on_inconclusive": "warn"},
            "audit": {"branch": ""},
        }
        (folder / f"bench-{p:02d}.yaml").write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")


# ---- naive evaluator (runs as its own process: --naive) ------------------------------------------


def naive_main(policy_dir: Path, url: str, at: str) -> int:
    """One instant query per window and part, sequentially, one httpx.Client; budgets as JSON on stdout."""
    out: dict[str, dict[str, Any]] = {}
    with httpx.Client(timeout=60) as client:

        def value(expr: str) -> float | None:
            resp = client.post(f"{url}/api/v1/query", data={"query": expr, "time": at})
            resp.raise_for_status()
            body = resp.json()
            if body.get("status") != "success":
                raise RuntimeError(f"query failed: {body}")
            result = body["data"]["result"]
            return float(result[0]["value"][1]) if result else None

        for file in sorted(policy_dir.glob("*.yaml")):
            policy = yaml.safe_load(file.read_text(encoding="utf-8"))
            slos: dict[str, Any] = {}
            for slo in policy["slos"]:
                budget = 1 - float(slo["objective"]) / 100
                ratios: dict[str, float | None] = {}
                for window in (slo["window"], *BURN_WINDOWS):
                    bad = value(WINDOW_TEMPLATE.sub(window, slo["sli"]["error_query"]))
                    total = value(WINDOW_TEMPLATE.sub(window, slo["sli"]["total_query"]))
                    ratios[window] = (bad or 0.0) / total if total else None
                slo_ratio = ratios[slo["window"]]
                slos[slo["name"]] = {
                    "budget_remaining": None if slo_ratio is None else 1 - slo_ratio / budget,
                    "burn_rates": {
                        w: None if ratios[w] is None else ratios[w] / budget for w in BURN_WINDOWS
                    },
                }
            out[policy["service"]] = slos
    json.dump(out, sys.stdout)
    return 0


# ---- timing helpers -----------------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    # Without PYTHONDONTWRITEBYTECODE: an installed gate (pip, the container image) runs from compiled
    # bytecode, so the processes timed here may write and reuse .pyc files like it does.
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SLO_GATE_") and k != "PYTHONDONTWRITEBYTECODE"
    }


def time_process(argv: Sequence[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=clean_env(), stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def floor_once(url: str, queries: Sequence[str], at: str, threads: int = FLOOR_THREADS) -> float:
    """The gate's batched queries straight to Prometheus by `threads` workers; first send to last answer."""
    with httpx.Client(
        timeout=60, limits=httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
    ) as client:

        def send(expr: str) -> None:
            resp = client.post(f"{url}/api/v1/query", data={"query": expr, "time": at})
            resp.raise_for_status()
            if resp.json().get("status") != "success":
                raise RuntimeError(f"query failed: {resp.text[:200]}")

        with ThreadPoolExecutor(max_workers=threads) as pool:
            start = time.perf_counter()
            list(pool.map(send, queries))
            return time.perf_counter() - start


def floor_process_main(queries_file: Path, url: str, at: str) -> int:
    """The floor as a whole process: interpreter, httpx, the batched queries by 4 threads, exit."""
    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    floor_once(url, queries, at)
    return 0


def stats(samples: Sequence[float]) -> tuple[float, float]:
    return statistics.median(samples), min(samples)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def top_imports(module: str, count: int = 8) -> list[tuple[int, int, str]]:
    """(cumulative us, self us, name) of the slowest imports of `python -X importtime -c 'import module'`."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (.*)$", line)
        if m:
            rows.append((int(m.group(2)), int(m.group(1)), m.group(3).rstrip()))
    return sorted(rows, reverse=True)[:count]


# ---- the bench ----------------------------------------------------------------------------------


def sanity(gate_json: str, naive_json: str) -> str:
    """What the warm-up runs computed: SLO count, statuses, and gate vs naive agreement."""
    report = json.loads(gate_json)
    naive = json.loads(naive_json)
    statuses: dict[str, int] = {}
    worst = 0.0
    compared = 0
    for service in report.get("services", []):
        for slo in service.get("slos", []):
            statuses[slo.get("status", "?")] = statuses.get(slo.get("status", "?"), 0) + 1
            mine = naive.get(service["service"], {}).get(slo["name"], {}).get("budget_remaining")
            theirs = slo.get("budget_remaining")
            if isinstance(mine, float) and isinstance(theirs, float):
                worst = max(worst, abs(mine - theirs))
                compared += 1
    shown = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    return (
        f"gate measured {sum(statuses.values())} SLOs in {len(report.get('services', []))} services "
        f"({shown}), decision {report.get('decision')}; naive agrees on budget_remaining for "
        f"{compared} SLOs within {worst:.2g}"
    )


def bench(runs: int, help_runs: int) -> int:
    sys.path.insert(0, str(ROOT))
    from gate.measure import slo_query
    from gate.policy_load import load_policies
    from tests.promfixture.server import running_fixture_prometheus

    gate_bin = str(Path(sys.executable).parent / "slo-gate")
    with tempfile.TemporaryDirectory(prefix="slo-gate-bench-") as tmp, running_fixture_prometheus() as prom:
        policy_dir = Path(tmp) / "policies"
        policy_dir.mkdir()
        write_policies(policy_dir)
        empty_diff = Path(tmp) / "empty.diff"
        empty_diff.write_text("")
        at = str(int(prom.end_time))
        common = [gate_bin, "check", "--policy", str(policy_dir), "--diff", str(empty_diff), "--no-llm"]
        common += ["--format", "json"]
        gate_argv = [*common, "--prometheus-url", prom.url, "--at", at]
        naive_argv = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--naive",
            "--policy",
            str(policy_dir),
            "--prometheus-url",
            prom.url,
            "--at",
            at,
        ]
        loaded = load_policies([policy_dir])
        queries = [slo_query(slo, float(at)) for p in loaded for slo in p.policy.slos]

        queries_file = Path(tmp) / "queries.json"
        queries_file.write_text(json.dumps(queries), encoding="utf-8")
        floor_argv = [
            sys.executable, str(Path(__file__).resolve()), "--floor-process", "--queries", str(queries_file),
            "--prometheus-url", prom.url, "--at", at,
        ]  # fmt: skip
        snapshot = Path(tmp) / "snapshot.json"
        replay_argv = [*common, "--metrics-snapshot", str(snapshot)]

        # Warm-up (Prometheus pulls the blocks into the page cache; Python writes .pyc files unless
        # PYTHONDONTWRITEBYTECODE is set). The gate's warm-up also records the snapshot for the replay row.
        gate_run = subprocess.run(
            [*gate_argv, "--record-snapshot", str(snapshot)],
            cwd=ROOT,
            env=clean_env(),
            capture_output=True,
            text=True,
        )
        if gate_run.returncode not in (0, 1, 3) or not gate_run.stdout.lstrip().startswith("{"):
            print(
                f"slo-gate check failed (exit {gate_run.returncode}); no figures:\n{gate_run.stderr[-3000:]}"
            )
            return 1
        naive_run = subprocess.run(naive_argv, cwd=ROOT, env=clean_env(), capture_output=True, text=True)
        if naive_run.returncode != 0:
            print(f"naive evaluator failed (exit {naive_run.returncode}):\n{naive_run.stderr[-3000:]}")
            return 1
        floor_once(prom.url, queries, at)

        measures: dict[str, Callable[[], float]] = {
            "gate": lambda: time_process(gate_argv),
            "naive": lambda: time_process(naive_argv),
            "floor": lambda: floor_once(prom.url, queries, at),
            "floorp": lambda: time_process(floor_argv),
            "floor1": lambda: floor_once(prom.url, queries, at, threads=1),
            "replay": lambda: time_process(replay_argv),
        }
        timings: dict[str, list[float]] = {name: [] for name in measures}
        for _ in range(runs):  # interleaved, so drift on the host hits every figure alike
            for name, measure in measures.items():
                timings[name].append(measure())
        startup = [time_process([sys.executable, "-c", "pass"]) for _ in range(help_runs)]
        help_times = [time_process([gate_bin, "--help"]) for _ in range(help_runs)]

    gate_med, gate_min = stats(timings["gate"])
    naive_med, naive_min = stats(timings["naive"])
    floor_med, floor_min = stats(timings["floor"])
    floor1_med, floor1_min = stats(timings["floor1"])
    floorp_med, floorp_min = stats(timings["floorp"])
    replay_med, replay_min = stats(timings["replay"])
    start_med, start_min = stats(startup)
    help_med, help_min = stats(help_times)
    fs_med, fs_min = floor_med + start_med, floor_min + start_min

    print(
        f"slo-gate check latency: {len(loaded)} policies x {SLOS_PER_POLICY} SLOs = {len(queries)} SLOs, "
        f"{len(set(queries))} distinct batched queries ({len(queries) * 16} single queries for naive)"
    )
    print(
        f"fixture Prometheus {prom.url}, --at {at}; {runs} timed runs after 1 warm-up; "
        f"host: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        "timed processes may cache bytecode like an installed gate"
    )
    print(sanity(gate_run.stdout, naive_run.stdout))
    print()
    print(f"{'':52}{'median s':>10}{'min s':>10}")
    rows = [
        ("gate    slo-gate check (whole process)", gate_med, gate_min),
        ("naive   1600 sequential queries (whole process)", naive_med, naive_min),
        (f"floor   100 batched, {FLOOR_THREADS} threads (in-process)", floor_med, floor_min),
        ("floor + python -c pass", fs_med, fs_min),
        (f"floor   as a whole process (python, httpx, {FLOOR_THREADS} threads)", floorp_med, floorp_min),
        ("python -c pass", start_med, start_min),
        ("slo-gate --help (whole process)", help_med, help_min),
        ("info: floor with 1 thread (in-process)", floor1_med, floor1_min),
        ("info: gate replaying a snapshot (no Prometheus)", replay_med, replay_min),
    ]
    for label, med, low in rows:
        print(f"{label:52}{med:10.3f}{low:10.3f}")
    print()
    checks = [
        (
            "gate / naive",
            gate_med / naive_med,
            f"<= {TARGET_GATE_NAIVE:.2f}",
            gate_med / naive_med <= TARGET_GATE_NAIVE,
        ),
        (
            "gate / floor",
            gate_med / floor_med,
            f"<= {TARGET_GATE_FLOOR:.2f}",
            gate_med / floor_med <= TARGET_GATE_FLOOR,
        ),
        (
            "gate / floor (whole process)",
            gate_med / floorp_med,
            f"<= {TARGET_GATE_FLOOR:.2f}",
            gate_med / floorp_med <= TARGET_GATE_FLOOR,
        ),
        (
            "gate / (floor + startup)",
            gate_med / fs_med,
            f"<= {TARGET_GATE_FLOOR:.2f}",
            gate_med / fs_med <= TARGET_GATE_FLOOR,
        ),
    ]
    print(f"{'ratio (medians)':28}{'value':>8}{'target':>10}  result")
    for label, value, target, ok in checks:
        print(f"{label:28}{value:8.2f}{target:>10}  {verdict(ok)}")
    help_ok = help_med < TARGET_HELP_SECONDS
    print(f"{'--help median':28}{help_med * 1000:6.0f}ms{'< 150ms':>10}  {verdict(help_ok)}")
    if not help_ok:
        print()
        print("slowest imports of `import gate.cli` (python -X importtime; cumulative / self, ms):")
        for cum, own, name in top_imports("gate.cli"):
            print(f"  {cum / 1000:8.1f} {own / 1000:8.1f}  {name}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="timed runs of gate, naive and floor (default 7)")
    parser.add_argument("--help-runs", type=int, default=15, help="runs of --help and python -c pass")
    parser.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--floor-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--queries", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--policy", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--prometheus-url", help=argparse.SUPPRESS)
    parser.add_argument("--at", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.naive:
        return naive_main(args.policy, args.prometheus_url, args.at)
    if args.floor_process:
        return floor_process_main(args.queries, args.prometheus_url, args.at)
    return bench(max(1, args.runs), max(1, args.help_runs))


if __name__ == "__main__":
    sys.exit(main())
