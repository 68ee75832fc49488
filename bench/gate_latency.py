"""How long `slo-gate check` takes for N SLOs (default 100) against a real Prometheus, next to a naive and a floor.

Run from the repository root:

    .venv/bin/python bench/gate_latency.py            # 7 timed runs each (after one warm-up)
    .venv/bin/python bench/gate_latency.py --runs 3   # quicker
    .venv/bin/python bench/gate_latency.py --slos 1000 --recorded   # raw vs recorded series (see below)

With --recorded, the Prometheus also holds the series `slo-gate rules` records for every SLO (their
values at the evaluation time, taken from the raw queries of the SLO's scenario job, written with
`promtool tsdb create-blocks-from openmetrics` into a copy of the fixture's TSDB), and the bench times,
side by side: the gate reading raw counters, the gate with --use-recorded, and each one's floor as a
whole process (the same batched queries sent by a Python process with httpx and 4 threads).

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
TARGET_GATE_FLOOR = 1.25  # the foundations issue: <= 1.25x the batched-query floor on a quiet machine
TARGET_HELP_SECONDS = 0.150


# ---- policies ---------------------------------------------------------------------------------


def write_policies(folder: Path, slos: int = POLICIES * SLOS_PER_POLICY) -> None:
    """slos/5 policies x 5 SLOs. Every SLO's query text is unique: a no-op matcher `bench!="sNNNN"` (the
    label does not exist, so it matches every series) makes distinct queries with identical
    semantics; objectives vary too (they do not enter the query text)."""
    for p in range(max(1, slos // SLOS_PER_POLICY)):
        slos = []
        for s in range(SLOS_PER_POLICY):
            k = p * SLOS_PER_POLICY + s
            job = JOBS[k % len(JOBS)]
            tag = f'bench!="s{k:04d}"'
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
            "service": f"bench-{p:03d}",
            "slos": slos,
            "gate": {"mode": "advisory", "on_inconclusive": "warn"},
            "audit": {"branch": ""},
        }
        (folder / f"bench-{p:03d}.yaml").write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")


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


def bench(runs: int, help_runs: int, slos: int = POLICIES * SLOS_PER_POLICY) -> int:
    sys.path.insert(0, str(ROOT))
    from gate.measure import slo_query
    from gate.policy_load import load_policies
    from tests.promfixture.server import running_fixture_prometheus

    gate_bin = str(Path(sys.executable).parent / "slo-gate")
    with tempfile.TemporaryDirectory(prefix="slo-gate-bench-") as tmp, running_fixture_prometheus() as prom:
        policy_dir = Path(tmp) / "policies"
        policy_dir.mkdir()
        write_policies(policy_dir, slos)
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
        (f"naive   {len(queries) * 16} sequential queries (whole process)", naive_med, naive_min),
        (f"floor   {len(queries)} batched, {FLOOR_THREADS} threads (in-process)", floor_med, floor_min),
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


# ---- recorded series (--recorded) ---------------------------------------------------------------

RECORDED_SAMPLES = 10  # one per minute up to the evaluation time: fresh, as if the rules had just run
TARGET_RECORDED_SECONDS = 2.0
TARGET_RECORDED_FLOOR = 1.3


def _job_values(url: str, at: float) -> dict[str, dict[str, float]]:
    """Per scenario job: the error ratio over every window and the event rates the rules would record."""
    out: dict[str, dict[str, float]] = {}
    with httpx.Client(timeout=120) as client:

        def value(expr: str) -> float:
            body = client.post(f"{url}/api/v1/query", data={"query": expr, "time": repr(at)}).json()
            return float(body["data"]["result"][0]["value"][1])

        for job in JOBS:
            err = f'sum(rate(http_requests_total{{job="{job}",code=~"5.."}}[{{w}}]))'
            tot = f'sum(rate(http_requests_total{{job="{job}"}}[{{w}}]))'
            values = {}
            for window in (*BURN_WINDOWS, "30d"):
                e, t = err.replace("{w}", window), tot.replace("{w}", window)
                values[f"ratio:{window}"] = value(f"({e} or vector(0)) / {t}")
            values["rate:30d"] = value(tot.replace("{w}", "30d"))
            values["rate:5m"] = value(tot.replace("{w}", "5m"))
            out[job] = values
    return out


def recorded_openmetrics(loaded: Sequence[Any], values: dict[str, dict[str, float]], at: int) -> str:
    """The recorded series of every SLO (gate/recording.py's names and labels), as OpenMetrics."""
    from gate import recording as rec

    families: dict[str, list[str]] = {}

    def add(name: str, labels: dict[str, str], value: float) -> None:
        body = ",".join(f'{k}="{v}"' for k, v in labels.items())
        for k in reversed(range(RECORDED_SAMPLES)):  # oldest first
            families.setdefault(name, []).append(f"{name}{{{body}}} {value!r} {at - 60 * k}")

    for policy in loaded:
        for slo in policy.policy.slos:
            job = next(j for j in JOBS if f'job="{j}"' in slo.sli.total_query)
            base = {rec.SERVICE_LABEL: policy.policy.service, rec.SLO_LABEL: slo.name}
            job_values = values[job]
            for window in (*BURN_WINDOWS, "30d"):
                add(rec.ratio_name(window), base | {rec.WINDOW_LABEL: window}, job_values[f"ratio:{window}"])
            add(rec.total_rate_name("30d"), base | {rec.WINDOW_LABEL: "30d"}, job_values["rate:30d"])
            add(rec.coverage_name("30d"), base | {rec.WINDOW_LABEL: "30d"}, 1.0)
            add(rec.TOTAL_RATE, base | {rec.WINDOW_LABEL: "5m"}, job_values["rate:5m"])
            info = base | {
                rec.SLI_LABEL: rec.fingerprint(slo),
                rec.WINDOW_LABEL: "30d",
                rec.OBJECTIVE_LABEL: "x",
            }
            add(rec.INFO, info, 60.0)
    lines = []
    for name, samples in families.items():
        lines.append(f"# TYPE {name} unknown")
        lines += samples
    return "\n".join(lines) + "\n# EOF\n"


def recorded_queries(loaded: Sequence[Any], at: float) -> list[str]:
    """The recorded reads the gate sends: one query per policy, all its SLOs' recorded series."""
    from gate.measure import recorded_query

    return [recorded_query(p.policy.slos, p.policy.service, at) for p in loaded]


def bench_recorded(runs: int, slos: int) -> int:
    """Raw counters vs recorded series, side by side, for `slos` SLOs: the gate and each one's floor."""
    sys.path.insert(0, str(ROOT))
    import shutil

    from gate.measure import slo_query
    from gate.policy_load import load_policies
    from tests.promfixture.recorded import _start_serving
    from tests.promfixture.server import _stop, cached_tsdb, find_binaries, running_fixture_prometheus

    gate_bin = str(Path(sys.executable).parent / "slo-gate")
    binaries = find_binaries()
    with tempfile.TemporaryDirectory(prefix="slo-gate-bench-") as tmp:
        work = Path(tmp)
        policy_dir = work / "policies"
        policy_dir.mkdir()
        write_policies(policy_dir, slos)
        loaded = load_policies([policy_dir])
        with running_fixture_prometheus() as raw_prom:
            at = int(raw_prom.end_time)
            values = _job_values(raw_prom.url, at)
        started = time.perf_counter()
        tsdb = work / "tsdb"
        shutil.copytree(cached_tsdb(binaries), tsdb, ignore=shutil.ignore_patterns(".complete"))
        (work / "recorded.om").write_text(recorded_openmetrics(loaded, values, at))
        backfill = [
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "-q",
            str(work / "recorded.om"),
            str(work / "blocks"),
        ]
        done = subprocess.run(
            [binaries.promtool, *backfill],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"promtool could not write the recorded series: {done.stderr[-2000:]}")
            return 1
        for block in (work / "blocks").iterdir():
            shutil.move(str(block), tsdb / block.name)
        proc, url, _ = _start_serving(binaries.prometheus, tsdb, work)
        built = time.perf_counter() - started
        try:
            empty_diff = work / "empty.diff"
            empty_diff.write_text("")
            common = [gate_bin, "check", "--policy", str(policy_dir), "--diff", str(empty_diff), "--no-llm"]
            common += ["--format", "json", "--prometheus-url", url, "--at", str(at)]
            raw_queries = [slo_query(slo, float(at)) for p in loaded for slo in p.policy.slos]
            rec_queries = recorded_queries(loaded, float(at))
            files = {}
            for name, queries in (("raw", raw_queries), ("recorded", rec_queries)):
                files[name] = work / f"{name}.json"
                files[name].write_text(json.dumps(queries), encoding="utf-8")

            def floor_argv(name: str) -> list[str]:
                return [
                    sys.executable, str(Path(__file__).resolve()), "--floor-process", "--queries", str(files[name]),
                    "--prometheus-url", url, "--at", str(at),
                ]  # fmt: skip

            measures: dict[str, list[str]] = {
                "gate raw": common,
                "gate recorded": [*common, "--use-recorded"],
                "floor raw": floor_argv("raw"),
                "floor recorded": floor_argv("recorded"),
            }
            outputs = {}
            for name in ("gate raw", "gate recorded"):  # warm-up, and what each computed
                done = subprocess.run(
                    measures[name], cwd=ROOT, env=clean_env(), capture_output=True, text=True
                )
                if not done.stdout.lstrip().startswith("{"):
                    print(f"{name} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
                    return 1
                outputs[name] = json.loads(done.stdout)
            for name in ("floor raw", "floor recorded"):
                subprocess.run(measures[name], cwd=ROOT, env=clean_env(), check=True, capture_output=True)
            timings: dict[str, list[float]] = {name: [] for name in measures}
            for _ in range(runs):
                for name, argv in measures.items():
                    timings[name].append(time_process(argv))
        finally:
            _stop(proc)
    print(_recorded_report(slos, len(set(rec_queries)), outputs, timings, built, runs))
    return 0


def _recorded_report(
    slos: int,
    distinct: int,
    outputs: dict[str, Any],
    timings: dict[str, list[float]],
    built: float,
    runs: int,
) -> str:
    raw_slos = [s for svc in outputs["gate raw"]["services"] for s in svc["slos"]]
    rec_slos = [s for svc in outputs["gate recorded"]["services"] for s in svc["slos"]]
    recorded = sum(1 for s in rec_slos if s.get("read_from") == "recorded")
    worst = max(
        abs(a["budget_remaining"] - b["budget_remaining"]) for a, b in zip(raw_slos, rec_slos, strict=True)
    )
    same_alerts = all(a["alert"] == b["alert"] for a, b in zip(raw_slos, rec_slos, strict=True))
    med = {name: statistics.median(values) for name, values in timings.items()}
    low = {name: min(values) for name, values in timings.items()}
    lines = [
        f"slo-gate check, raw counters vs recorded series: {slos} SLOs (recorded: {distinct} queries, one per policy), "
        f"{runs} timed runs after 1 warm-up; host: {os.cpu_count()} CPUs",
        f"recorded series for every SLO written with promtool into a copy of the fixture TSDB in {built:.1f} s",
        f"--use-recorded read {recorded} of {len(rec_slos)} SLOs from recordings; budget left agrees with raw "
        f"within {worst:.2g}; alerts {'identical' if same_alerts else 'DIFFER'}",
        "",
        f"{'':44}{'median s':>10}{'min s':>10}",
    ]
    for name in ("gate raw", "floor raw", "gate recorded", "floor recorded"):
        label = {"gate raw": "gate, raw counters (whole process)", "floor raw": "floor, raw batched queries (process)",
                 "gate recorded": "gate --use-recorded (whole process)",
                 "floor recorded": "floor, recorded batched reads (process)"}[name]  # fmt: skip
        lines.append(f"{label:44}{med[name]:10.3f}{low[name]:10.3f}")
    ratio = med["gate recorded"] / med["floor recorded"]
    lines += [
        "",
        f"{'gate recorded (median)':36}{med['gate recorded']:8.3f}s{'<= 2.00s':>12}  "
        f"{verdict(med['gate recorded'] <= TARGET_RECORDED_SECONDS)}",
        f"{'gate recorded / floor recorded':36}{ratio:8.2f} {'<= 1.30':>12}  {verdict(ratio <= TARGET_RECORDED_FLOOR)}",
        f"{'info: gate raw / gate recorded':36}{med['gate raw'] / med['gate recorded']:8.2f}",
    ]
    return "\n".join(lines)


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
    parser.add_argument("--slos", type=int, default=100, help="SLOs to gate (5 per policy; default 100)")
    parser.add_argument(
        "--recorded", action="store_true", help="time raw counters vs recorded series (`--use-recorded`)"
    )
    args = parser.parse_args(argv)
    if args.naive:
        return naive_main(args.policy, args.prometheus_url, args.at)
    if args.floor_process:
        return floor_process_main(args.queries, args.prometheus_url, args.at)
    if args.recorded:
        return bench_recorded(max(1, args.runs), max(5, args.slos))
    return bench(max(1, args.runs), max(1, args.help_runs), max(5, args.slos))


if __name__ == "__main__":
    sys.exit(main())
