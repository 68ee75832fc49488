"""What asking the model adds to a gate run, apart from the API's own thinking time.

Run from the repository root (needs `prometheus` and `promtool`, like the fixture tests):

    .venv/bin/python bench/llm_overhead.py            # 7 runs each, medians
    .venv/bin/python bench/llm_overhead.py --runs 3

It starts the fixture Prometheus and a loopback Messages API (tests/support/fake_anthropic.py, which
answers at once) and times the whole `slo-gate check` process on a one-file change of the repository's
three policies:

- rules only:   `--no-llm`;
- model, miss:  a fresh answer cache each run, so the SDK is imported and one request is made;
- model, hit:   the same cache every run, so the answer is read from disk and the SDK never loads;
- model, slow:  a miss where the API takes 2 s to answer, as a real model does; the gate classifies
                on a second thread while it measures budgets, so those seconds overlap the queries.

It also times `import anthropic` plus building a client alone (the bulk of a fast miss).
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIFF = (
    "diff --git a/services/payments/lib/format.py b/services/payments/lib/format.py\n"
    "--- a/services/payments/lib/format.py\n+++ b/services/payments/lib/format.py\n"
    "@@ -1,0 +1,1 @@\n+AMOUNT_PRECISION = 2\n"
)
VERDICT = {"risk": "low", "category": "code", "rationale": "One constant.", "signals": []}


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"slo-gate failed ({done.returncode}): {done.stderr}")
    return elapsed


def main() -> None:
    from tests.promfixture.server import running_fixture_prometheus
    from tests.support.fake_anthropic import FakeAnthropic, stall, tool

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    gate = str(ROOT / ".venv" / "bin" / "slo-gate")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "SLO_GATE_"))}
    with tempfile.TemporaryDirectory() as tmp, running_fixture_prometheus() as prom:
        diff = Path(tmp) / "change.diff"
        diff.write_text(DIFF)
        argv = [gate, "check", "--policy", "policies", "--prometheus-url", prom.url]
        argv += ["--at", str(prom.end_time), "--diff", str(diff), "--format", "json"]
        with FakeAnthropic(default=tool(VERDICT)) as fake:
            model_env = {**base_env, "ANTHROPIC_API_KEY": "sk-ant-bench", "ANTHROPIC_BASE_URL": fake.url}
            hit_env = {**model_env, "SLO_GATE_CACHE_DIR": str(Path(tmp) / "hit-cache")}
            timed(argv, hit_env)  # warm-up, and fills the cache used by "hit"
            rows: dict[str, list[float]] = {
                "rules only": [],
                "model, miss": [],
                "model, hit": [],
                "model, slow": [],
            }
            for run in range(args.runs):
                rows["rules only"].append(timed([*argv, "--no-llm"], base_env))
                miss_env = {**model_env, "SLO_GATE_CACHE_DIR": str(Path(tmp) / f"miss-{run}")}
                rows["model, miss"].append(timed(argv, miss_env))
                rows["model, hit"].append(timed(argv, hit_env))
            requests = len(fake.messages_requests)
        with FakeAnthropic(default=stall(2.0, then=tool(VERDICT))) as slow:
            slow_env = {**base_env, "ANTHROPIC_API_KEY": "sk-ant-bench", "ANTHROPIC_BASE_URL": slow.url}
            for run in range(args.runs):
                slow_env["SLO_GATE_CACHE_DIR"] = str(Path(tmp) / f"slow-{run}")
                rows["model, slow"].append(timed(argv, slow_env))
        imports = []
        for _ in range(args.runs):
            code = "import time;t=time.perf_counter();import anthropic;anthropic.Anthropic(api_key='x');"
            code += "print(time.perf_counter()-t)"
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            imports.append(float(out.stdout))
    rules = statistics.median(rows["rules only"])
    print(f"whole `slo-gate check` process, 3 policies, real Prometheus; medians of {args.runs} runs\n")
    for name, values in rows.items():
        median = statistics.median(values)
        print(f"  {name:<12} {median * 1000:7.0f} ms   (+{(median - rules) * 1000:5.0f} ms over rules only)")
    print(f"\n  import anthropic + client, alone: {statistics.median(imports) * 1000:.0f} ms")
    print(f"  requests the fake answered: {requests} (1 warm-up + {args.runs} misses expected)")


if __name__ == "__main__":
    main()
