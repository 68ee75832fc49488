"""What the offline PromQL check adds to loading policies, and its cost on a hostile file.

Run from the repository root:

    .venv/bin/python bench/policy_check.py [--runs 15]

Realistic: 100 SLOs (20 files × 5, an error_query and a total_query each, like policies/) loaded with
`load_policies`, with the syntax check and with it replaced by a no-op; median and min of N
interleaved runs, in one process after a warm-up (the parser's import is timed separately).
Hostile: one 64 KiB file of queries at the token limit, every one broken at its end, so each costs a
full parse and a located error; and the same file with valid queries. Figures only, no targets.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from gate import promql_syntax
from gate.errors import PolicyErrors
from gate.policy_load import load_policies, load_policy_bytes
from gate.policy_yaml import MAX_POLICY_BYTES

SLO = """\
  - name: slo-{n}
    objective: 99.9
    window: 30d
    sli:
      error_query: sum(rate(http_requests_total{{job="svc-{f}",code=~"5..",route!="/health"}}[{{{{.window}}}}]))
      total_query: sum(rate(http_requests_total{{job="svc-{f}",route!="/health"}}[{{{{.window}}}}]))
"""


def write_policies(folder: Path) -> None:
    for f in range(20):
        slos = "".join(SLO.format(n=n, f=f) for n in range(5))
        (folder / f"svc-{f}.yaml").write_text(f"apiVersion: slo-gate/v1\nservice: svc-{f}\nslos:\n{slos}")


def timed(func: object, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        out.append(time.perf_counter() - start)
    return out


def hostile(broken: bool) -> bytes:
    # rate ( e [ 5m ] ) + x (+ x)...: 9 + 2k tokens, and one more for the dangling `+` of a broken one
    query = "x" + " + x" * ((promql_syntax.MAX_TOKENS - 10) // 2) + (" +" if broken else "")
    head = "apiVersion: slo-gate/v1\nservice: hostile\nslos:\n"
    body, n = "", 0
    while True:
        slo = (
            f"  - name: s{n}\n    objective: 99\n    sli:\n"
            f"      error_query: 'rate(e[{{{{.window}}}}]) + {query}'\n"
            f"      total_query: 'rate(t[{{{{.window}}}}]) + {query}'\n"
        )
        if len(head) + len(body) + len(slo) > MAX_POLICY_BYTES:
            return (head + body).encode()
        body += slo
        n += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    code = "import time; s = time.perf_counter(); import promql_parser; print(time.perf_counter() - s)"
    imported = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
    print(f"import promql_parser: {imported * 1000:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_policies(folder)
        load_policies([folder])  # warm-up (and the parser's import)
        checked: list[float] = []
        unchecked: list[float] = []
        for _ in range(args.runs):
            checked += timed(lambda: load_policies([folder]), 1)
            with mock.patch.object(promql_syntax, "check", return_value=None):
                unchecked += timed(lambda: load_policies([folder]), 1)
    for label, values in (("load 100 SLOs, checked", checked), ("load 100 SLOs, unchecked", unchecked)):
        print(f"{label}: median {statistics.median(values) * 1000:.1f} ms, min {min(values) * 1000:.1f} ms")
    extra = statistics.median(checked) - statistics.median(unchecked)
    print(f"syntax check for 200 queries: {extra * 1000:.1f} ms ({extra / 200 * 1e6:.0f} µs per query)")
    for broken in (False, True):
        data = hostile(broken)
        start = time.perf_counter()
        try:
            load_policy_bytes(data, "hostile.yaml")
            errors = 0
        except PolicyErrors as exc:
            errors = len(exc.errors)
        elapsed = time.perf_counter() - start
        queries = data.count(b"_query:")
        kind = "broken" if broken else "valid"
        print(
            f"hostile 64 KiB file, {queries} {kind} queries at the token limit: {elapsed:.2f} s, {errors} errors"
        )


if __name__ == "__main__":
    main()
