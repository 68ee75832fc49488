"""How fast the audit sinks append, alone and with concurrent writer processes.

Run from the repository root:

    .venv/bin/python bench/audit_append.py

Git sink: a bare remote in a temp dir, every writer process in its own clone of it (like concurrent CI
jobs), all started together; 1 writer × 20 appends, 5 × 20 and 20 × 5. File sink: one file, 1 writer ×
100 appends and 5 × 40. Records carry ~4 KB of padding, the weight of a real decision record.
Each writer is tests/support/audit_writer.py. Per configuration it prints append latency (median,
p95, as each writer timed its own appends, retries and backoff included), throughput (records over
the wall time from the start signal until the last writer is done), the push retries (and how many
appends took 1, 2, … pushes; the sink gives up after 8), any appends that failed, and then verifies the resulting chain ("chain ok: N records"). Figures only, no targets.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.audit.chain import verify_lines

ROOT = Path(__file__).resolve().parent.parent
BRANCH = "slo-gate-audit"
ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True)
    return done.stdout.decode("utf-8")


@dataclass
class Run:
    sink: str
    writers: int
    per_writer: int
    elapsed: float
    results: list[dict[str, Any]]
    chain: list[str]


def run_writers(argvs: list[list[str]], workdir: Path) -> tuple[float, list[dict[str, Any]]]:
    go = workdir / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.audit_writer", *argv, "--go", str(go)],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    for proc in procs:
        assert proc.stdout is not None
        proc.stdout.readline()  # "ready": imports done, so only appending is timed
    started = time.perf_counter()
    go.touch()
    outputs = [proc.communicate()[0] for proc in procs]
    elapsed = time.perf_counter() - started
    return elapsed, [json.loads(line) for out in outputs for line in out.splitlines()]


def git_run(base: Path, writers: int, per_writer: int, pad: int) -> Run:
    workdir = base / f"git-{writers}x{per_writer}"
    workdir.mkdir()
    remote = workdir / "remote.git"
    git(workdir, "init", "-q", "--bare", "-b", "main", str(remote))
    clones = []
    for n in range(writers):
        clone = workdir / f"clone{n}"
        git(workdir, "clone", "-q", str(remote), str(clone))
        clones.append(clone)
    argvs = [
        ["git", str(c), BRANCH, "payments", f"w{n}", "--count", str(per_writer), "--pad", str(pad)]
        for n, c in enumerate(clones)
    ]
    elapsed, results = run_writers(argvs, workdir)
    chain = git(remote, "show", f"{BRANCH}:audit/payments.jsonl").removesuffix("\n").split("\n")
    return Run("git", writers, per_writer, elapsed, results, chain)


def file_run(base: Path, writers: int, per_writer: int, pad: int) -> Run:
    workdir = base / f"file-{writers}x{per_writer}"
    workdir.mkdir()
    path = workdir / "audit.jsonl"
    argvs = [
        ["file", str(path), "payments", f"w{n}", "--count", str(per_writer), "--pad", str(pad)]
        for n in range(writers)
    ]
    elapsed, results = run_writers(argvs, workdir)
    chain = path.read_text("utf-8").removesuffix("\n").split("\n")
    return Run("file", writers, per_writer, elapsed, results, chain)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(run: Run) -> None:
    ok = [r for r in run.results if "error" not in r]
    failed = len(run.results) - len(ok)
    ms = [r["seconds"] * 1000 for r in ok]
    retries = sum(r["attempts"] - 1 for r in ok)
    most = max((r["attempts"] for r in ok), default=0)
    print(
        f"{run.sink:<5} {run.writers:>3} × {run.per_writer:<3} "
        f"{statistics.median(ms):>9.1f} {p95(ms):>9.1f} {len(ok) / run.elapsed:>10.1f} "
        f"{retries:>8} {most:>6} {failed:>7}"
    )
    if retries:
        counts = Counter(r["attempts"] for r in ok)
        print("      attempts per append: " + ", ".join(f"{n}: {counts[n]}" for n in sorted(counts)))
    for r in run.results:
        if "error" in r:
            print(f"      failed {r['run_key']}: {r['error']}")
    check = verify_lines(run.sink, run.chain)
    keys = [r["run_key"] for r in check.records]
    if check.ok and len(set(keys)) == len(keys) == len(ok):
        print(f"      chain ok: {check.count} records")
    else:
        print(
            f"      CHAIN PROBLEM: {check.problem or 'records do not match the appends'} ({check.count} records)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pad", type=int, default=4000, help="bytes of padding per record (default 4000)")
    args = parser.parse_args()
    print(
        f"audit append: records of ~{args.pad // 1000} KB, {os.cpu_count()} CPUs, {git(ROOT, 'version').strip()}"
    )
    print("sink  writers   median ms    p95 ms  records/s  retries  max.att  failed")
    with tempfile.TemporaryDirectory(prefix="slo-gate-bench-audit-") as tmp:
        base = Path(tmp)
        for writers, per_writer in ((1, 20), (5, 20), (20, 5)):
            report(git_run(base, writers, per_writer, args.pad))
        for writers, per_writer in ((1, 100), (5, 40)):
            report(file_run(base, writers, per_writer, args.pad))


if __name__ == "__main__":
    main()
