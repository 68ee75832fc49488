"""How long a request lasts against a server that trickles its response headers one byte at a time.

Run from the repository root:

    .venv/bin/python bench/http_deadline.py                 # deadline 3 s, one byte every 0.3 s
    .venv/bin/python bench/http_deadline.py --deadline 5 --interval 0.5

A raw-socket server (tests/support/httpstub.TrickleServer) answers `HTTP/1.1 200 OK` and then an
endless header line, one byte per interval, for `--bytes` bytes. Each byte arrives well within any
read timeout, so per-read timeouts never fire. It times, in wall seconds:

- plain httpx, per-read timeouts only (read timeout 5 s, the old clients' model): it waits until the
  server stops, `--bytes` x interval;
- gate.http (HttpClient.get_json with a Deadline of `--deadline` s);
- the whole `slo-gate check --timeout <deadline>` process against the same server.

It prints figures only; nothing is asserted. PASS/MISS: gate.http ends within deadline + 0.5 s,
the whole process within deadline + 2 s (startup included).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gate.http import Deadline, Endpoint, HttpClient, HttpFailure, RetryPolicy  # noqa: E402
from tests.support.httpstub import TrickleServer  # noqa: E402


def plain_httpx(url: str) -> tuple[float, str]:
    started = time.monotonic()
    try:
        with httpx.Client(timeout=httpx.Timeout(5.0)) as client:
            client.get(url)
        outcome = "answered"
    except httpx.HTTPError as exc:
        outcome = type(exc).__name__
    return time.monotonic() - started, outcome


def gate_http(url: str, deadline: float) -> tuple[float, str]:
    endpoint = Endpoint(url=url, name="bench", read_timeout=5.0, retry=RetryPolicy(retries=3))
    started = time.monotonic()
    try:
        with HttpClient(endpoint, deadline=Deadline(deadline)) as client:
            client.get_json("/")
        outcome = "answered"
    except HttpFailure as exc:
        outcome = "deadline" if exc.deadline else exc.message
    return time.monotonic() - started, outcome


def whole_check(url: str, deadline: float) -> tuple[float, str]:
    command = [
        str(ROOT / ".venv" / "bin" / "slo-gate"), "check", "--policy", str(ROOT / "policies" / "search.yaml"),
        "--prometheus-url", url, "--at", "1792497600", "--risk", "low", "--no-llm",
        "--timeout", f"{deadline:g}", "--format", "json",
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    return time.monotonic() - started, f"exit {done.returncode}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deadline", type=float, default=3.0)
    parser.add_argument("--interval", type=float, default=0.3, help="seconds between header bytes")
    parser.add_argument("--bytes", type=int, default=40, help="header bytes the server sends before closing")
    parser.add_argument(
        "--skip-plain", action="store_true", help="skip plain httpx (it takes bytes x interval)"
    )
    args = parser.parse_args()

    print(
        f"server: one header byte every {args.interval:g} s, {args.bytes} bytes; deadline {args.deadline:g} s"
    )
    rows: list[tuple[str, float, str, float | None]] = []
    runs = [
        ("gate.http HttpClient", lambda url: gate_http(url, args.deadline), args.deadline + 0.5),
        ("slo-gate check (whole process)", lambda url: whole_check(url, args.deadline), args.deadline + 2.0),
    ]
    if not args.skip_plain:
        runs.insert(0, ("plain httpx, per-read timeouts", plain_httpx, None))
    for name, run, target in runs:
        with TrickleServer(interval=args.interval, limit=args.bytes) as server:
            elapsed, outcome = run(server.url)
            rows.append((name, elapsed, f"{outcome}; {server.served} bytes served", target))
    for name, elapsed, outcome, target in rows:
        verdict = "" if target is None else ("PASS" if elapsed <= target else "MISS") + f" (<= {target:g} s)"
        print(f"{name:34} {elapsed:7.2f} s  {verdict:16} {outcome}")


if __name__ == "__main__":
    main()
