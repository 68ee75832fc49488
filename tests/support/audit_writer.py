"""One audit writer process, for the concurrency tests and bench/audit_append.py.

    python -m tests.support.audit_writer git CLONE_DIR BRANCH SERVICE RUN_ID [--count N] [--go FILE] [--pad B]
    python -m tests.support.audit_writer file PATH SERVICE RUN_ID [--count N] [--go FILE] [--pad B]

It prints `ready`, waits until the --go file exists (so that many writers start together), then appends
N decision records (run keys RUN_ID, or RUN_ID-0 … RUN_ID-{N-1} when N > 1) and prints one JSON line per
append: run_key, created, attempts, seq, seconds; or {"error": ...} and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from gate.audit.record import DecisionRecord
from gate.audit.sink import AuditSink, FileSink, GitSink
from gate.errors import AuditError
from tests.support.audit_records import decision

AT = 1_792_497_600.0  # the fixture's end time (2026-10-20T12:00:00Z)


def record(service: str, run_key: str, pr: int = 7, pad: int = 0, salt: str = "") -> DecisionRecord:
    """A small decision record (a pass of PR `pr` with run key `run_key`); `pad` adds that many bytes
    of policy text, to weigh like a real record (a few KB)."""
    return decision(
        # the writer salts it, as real record ids are random: two runs never make the very same commit
        f"id-{service}-{run_key}{salt}",
        AT,
        service=service,
        event="pull_request",
        pr=pr,
        run_key=run_key,
        run_id=run_key.split(".")[0],
        policy_text=("# policy text\n" * (pad // 14 + 1))[:pad],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="audit_writer")
    parser.add_argument("sink", choices=("git", "file"))
    parser.add_argument("target", help="the clone's directory (git) or the audit file (file)")
    parser.add_argument("rest", nargs="+", help="git: BRANCH SERVICE RUN_ID; file: SERVICE RUN_ID")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--go", type=Path, default=None)
    parser.add_argument("--pad", type=int, default=0, help="bytes of padding per record")
    args = parser.parse_args(argv)
    sink: AuditSink
    if args.sink == "git":
        branch, service, run_id = args.rest
        sink = GitSink(branch, cwd=args.target)
    else:
        service, run_id = args.rest
        sink = FileSink(Path(args.target))
    print("ready", flush=True)
    if args.go is not None:
        while not args.go.exists():
            time.sleep(0.005)
    for n in range(args.count):
        run_key = f"{run_id}-{n}.1" if args.count > 1 else f"{run_id}.1"
        started = time.perf_counter()
        try:
            appended = sink.append(record(service, run_key, pad=args.pad, salt=f"-{os.getpid()}"))
        except AuditError as exc:
            print(json.dumps({"run_key": run_key, "error": str(exc)}), flush=True)
            return 1
        seconds = time.perf_counter() - started
        out = {
            "run_key": run_key,
            "created": appended.created,
            "attempts": appended.attempts,
            "seq": appended.record.seq,
            "seconds": seconds,
        }
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
