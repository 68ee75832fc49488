"""What watching costs: a `watch` round next to `check`, `serve` under a storm of alert groups, and the
memory of a long-running `watch --every`.

Run from the repository root (needs prometheus, promtool; builds the watch's dataset once):

    .venv/bin/python bench/watch_round.py                 # all three parts
    .venv/bin/python bench/watch_round.py --part round    # or serve, rss
    .venv/bin/python bench/watch_round.py --runs 3 --groups-per-second 50 --seconds 10 --rss-rounds 500

It starts a Prometheus on the watch's incident data (tests/promfixture/watch_incident.py), evaluated
at a time when `orders` pages, and measures:

- round: 100 SLOs (20 policy files x 5 SLOs, every query text unique), 5 of them firing with a
  breakdown by route and tenant, the rest quiet. Times the whole `slo-gate watch --once` process
  (measure 100 SLOs, then onset, where, deploys and summary for the 5 firing ones, a dry run: nothing
  sent, no state written) and the whole `slo-gate check` process on the same policies; median of N
  interleaved runs after a warm-up. Goal: watch/check <= 1.5.
- serve: the real receiver process (uvicorn) with a loopback Slack and a loopback Anthropic (the
  model stubbed: answers at once), fed G alert groups per second for S seconds, each group its own
  key, alternating two SLOs; prints the response latency (p50, p99; goal p99 < 100 ms), how many
  were answered 200/503, and how long after the last group was sent the receiver had handled every
  group (kept up: within 2 s).
- rss: `watch --every` in one process for R rounds of a paging SLO with its whole context (a fixed
  evaluation time, a state file, a loopback Slack; the waits between rounds pass at once), printing
  the resident set size after round 10 and after the last (goal: within 5 MB).

Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.promfixture import watch_incident as wi  # noqa: E402

POLICIES = 20
SLOS_PER_POLICY = 5
FIRING = 5
TARGET_RATIO = 1.5
TARGET_P99_MS = 100.0
TARGET_RSS_MB = 5.0
RECEIVER_TOKEN = "bench-receiver-token-0123456789"  # noqa: S105 (a loopback test value)
SLACK_TOKEN = "xoxb-bench"  # noqa: S105
CHANNEL = "C0BENCH01"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def clean_env(**more: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLO_GATE_", "ANTHROPIC")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    return {**env, "PYTHONPATH": str(ROOT), **more}


# ---- policies -------------------------------------------------------------------------------------


def slo_yaml(index: int, firing: bool) -> str:
    job = "orders" if firing or index % 2 == 0 else "payments"
    objective = 99.9 if firing else (95.0 if job == "payments" else 90.0)
    noop = f'bench!="s{index:03d}"'
    errors = f'sum(rate(http_requests_total{{job="{job}",code=~"5..",{noop}}}[{{{{.window}}}}]))'
    total = f'sum(rate(http_requests_total{{job="{job}",{noop}}}[{{{{.window}}}}]))'
    lines = [
        f"  - name: slo{index:03d}",
        f"    objective: {objective}",
        "    window: 7d",
        "    sli:",
        f"      error_query: {errors}",
        f"      total_query: {total}",
    ]
    if firing:
        lines.append("    breakdown: [route, tenant]")
    return "\n".join(lines)


def write_policies(folder: Path) -> None:
    index = 0
    for p in range(POLICIES):
        slos = []
        for _ in range(SLOS_PER_POLICY):
            slos.append(slo_yaml(index, firing=index < FIRING))
            index += 1
        text = f"apiVersion: slo-gate/v1\nservice: svc{p:02d}\nslos:\n" + "\n".join(slos) + "\n"
        (folder / f"svc{p:02d}.yaml").write_text(text)


# ---- part 1: a round next to check ----------------------------------------------------------------


def time_process(argv: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done.returncode, done.stdout


def bench_round(prom_url: str, runs: int) -> None:
    gate_bin = str(Path(sys.executable).parent / "slo-gate")
    with tempfile.TemporaryDirectory(prefix="slo-gate-watch-bench-") as tmp:
        folder = Path(tmp) / "policies"
        folder.mkdir()
        write_policies(folder)
        (Path(tmp) / "empty.diff").write_text("")
        at = str(wi.DURING)
        common = [
            "--policy",
            str(folder),
            "--prometheus-url",
            prom_url,
            "--at",
            at,
            "--no-llm",
            "--format",
            "json",
        ]
        check = [gate_bin, "check", *common, "--diff", str(Path(tmp) / "empty.diff")]
        watch = [gate_bin, "watch", "--once", *common, "--dry-run"]
        env = clean_env()
        _, _, out = time_process(watch, env, Path(tmp))  # warm-up (and a sanity check)
        doc = json.loads(out)
        firing = [i for i in doc["incidents"] if i["severity"] in ("page", "ticket")]
        time_process(check, env, Path(tmp))
        watch_times, check_times = [], []
        for _ in range(runs):
            watch_times.append(time_process(watch, env, Path(tmp))[0])
            check_times.append(time_process(check, env, Path(tmp))[0])
        w, c = statistics.median(watch_times), statistics.median(check_times)
        fast = min(watch_times) / min(check_times)
        print(f"round: {doc['slos']} SLOs, {len(firing)} firing (context: onset, where, deploys, summary)")
        print(f"  watch --once (whole process): median {w:.3f} s, min {min(watch_times):.3f} s")
        print(f"  check        (whole process): median {c:.3f} s, min {min(check_times):.3f} s")
        print(
            f"  watch/check: median {w / c:.2f}, min/min {fast:.2f}  (goal <= {TARGET_RATIO})  {verdict(w / c <= TARGET_RATIO)}"
        )


# ---- part 2: serve under a storm --------------------------------------------------------------------


def _notification(index: int) -> dict[str, Any]:
    service = "orders" if index % 2 == 0 else "payments"
    labels = {
        "alertname": "SLOBurn",
        "slo_gate_service": service,
        "slo_gate_slo": "availability",
        "severity": "page",
    }
    return {
        "version": "4",
        "receiver": "slo-gate",
        "status": "firing",
        "groupKey": f'{{}}:{{group="{index}"}}',
        "groupLabels": {"group": str(index)},
        "commonLabels": labels,
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {},
                "fingerprint": f"{index:016x}",
                "startsAt": "2026-11-03T12:05:00Z",
            }
        ],
    }


def bench_serve(prom_url: str, per_second: int, seconds: int) -> None:
    from tests.support.fake_anthropic import FakeAnthropic, answer
    from tests.support.fake_slack import FakeSlack

    summary = {
        "headline": "orders burns",
        "likely_cause": "unclear",
        "recommended_action": "look",
        "confidence": "low",
    }
    total = per_second * seconds
    with (
        tempfile.TemporaryDirectory(prefix="slo-gate-serve-bench-") as tmp,
        FakeSlack(token=SLACK_TOKEN, channels={CHANNEL}) as slack,
        FakeAnthropic(default=answer(summary)) as model,
    ):
        folder = Path(tmp) / "policies"
        folder.mkdir()
        (folder / "orders.yaml").write_text(wi.policy_text("orders"))
        (folder / "payments.yaml").write_text(wi.policy_text("payments", breakdown=()))
        port = _free_port()
        env = clean_env(
            SLO_GATE_RECEIVER_TOKEN=RECEIVER_TOKEN,
            SLO_GATE_SLACK_TOKEN=SLACK_TOKEN,
            SLO_GATE_SLACK_API_URL=slack.api_url,
            ANTHROPIC_API_KEY="sk-bench",
            ANTHROPIC_BASE_URL=model.url,
            SLO_GATE_CACHE_DIR=str(Path(tmp) / "cache"),
        )
        log_path = Path(tmp) / "serve.log"
        argv = [
            sys.executable, "-m", "gate", "serve", "--listen", f"127.0.0.1:{port}", "--policy", str(folder),
            "--prometheus-url", prom_url, "--at", str(wi.DURING), "--slack-channel", CHANNEL,
            "--state", f"file:{tmp}/state.json", "--queue-size", str(max(100, total)),
            *(["--dry-run"] if os.environ.get("BENCH_SERVE_DRY") else []),
        ]  # fmt: skip
        with log_path.open("wb") as log:
            proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
            url = f"http://127.0.0.1:{port}"
            try:
                _wait(lambda: _healthy(url))
                started = time.perf_counter()
                storm = [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--storm-child",
                    url,
                    str(per_second),
                    str(seconds),
                ]
                out = subprocess.run(
                    storm, env=clean_env(), capture_output=True, text=True, check=True
                ).stdout
                result = json.loads(out)
                latencies, statuses = result["latencies"], result["statuses"]
                sent = result["seconds"]
                _wait(lambda: _handled(log_path) >= statuses.count(200), timeout=600)
                finished = time.perf_counter() - started
            finally:
                proc.terminate()
                proc.wait(timeout=60)
        latencies.sort()
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        print(
            f"serve: {total} alert groups at {per_second}/s over {sent:.1f} s (model stubbed, Slack loopback)"
        )
        print(
            f"  answers: {statuses.count(200)} x 200, {statuses.count(503)} x 503, others {len(statuses) - statuses.count(200) - statuses.count(503)}"
        )
        print(
            f"  response latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} ms  (goal p99 < {TARGET_P99_MS:g} ms)  {verdict(p99 < TARGET_P99_MS)}"
        )
        lag = finished - sent
        print(
            f"  every group handled {lag:.1f} s after the last was sent ({statuses.count(200) / finished:.1f} groups/s "
            f"end to end): kept up with {per_second}/s  {verdict(lag <= 2.0)}"
        )
        print(
            f"  Slack messages posted: {len(slack.messages)}; model requests: {len(model.messages_requests)}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _handled(log_path: Path) -> int:
    return sum(1 for line in log_path.read_text().splitlines() if '"event":"group_done"' in line)


def _wait(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.05)


def storm_child(url: str, per_second: int, seconds: int) -> int:
    """Runs in its own process (so the stubs' threads do not slow the client's clock): the storm."""
    latencies, statuses, started = _storm(url, per_second, seconds)
    print(
        json.dumps({"latencies": latencies, "statuses": statuses, "seconds": time.perf_counter() - started})
    )
    return 0


def _storm(url: str, per_second: int, seconds: int) -> tuple[list[float], list[int], float]:
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {RECEIVER_TOKEN}"}
    bodies = [json.dumps(_notification(i)).encode() for i in range(per_second * seconds)]
    started = time.perf_counter()
    # Alertmanager is written in Go, whose sockets have Nagle's algorithm off: so has this client.
    nodelay = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    with (
        httpx.Client(timeout=30, headers=headers, transport=nodelay) as client,
        ThreadPoolExecutor(max_workers=16) as pool,
    ):

        def send(body: bytes) -> None:
            begin = time.perf_counter()
            status = client.post(f"{url}/alertmanager", content=body).status_code
            with lock:
                latencies.append(time.perf_counter() - begin)
                statuses.append(status)

        for index, body in enumerate(bodies):
            due = started + index / per_second
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(send, body)
    return latencies, statuses, started


# ---- part 3: memory over many rounds ----------------------------------------------------------------


def rss_child(prom_url: str, rounds: int, folder: str, slack_url: str) -> int:
    """Runs in its own process: `watch --every` for `rounds` rounds; prints RSS (KiB) per round."""
    import gc

    from gate.cli.root import GC_THRESHOLDS, long_running
    from gate.compose import Runtime
    from gate.settings import MetricsSettings, ModelSettings, NotifySettings
    from gate.watch.command import watch
    from gate.watch.settings import StoreSpec, WatchSettings

    class Instant(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            return self.is_set()

    def rss_kib() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    count = [0]

    def emit(text: str) -> None:
        count[0] += 1
        print(json.dumps({"round": count[0], "rss_kib": rss_kib()}), flush=True)

    env = {"SLO_GATE_SLACK_API_URL": slack_url, "SLO_GATE_SLACK_TOKEN": SLACK_TOKEN}
    rt = Runtime(env, warn=lambda text: None)
    settings = WatchSettings(
        policies=(Path(folder),),
        services=(),
        metrics=MetricsSettings(prometheus_url=prom_url, at=float(wi.DURING)),
        notify=NotifySettings(slack_channel=CHANNEL),
        model=ModelSettings(enabled=False),
        state=StoreSpec("file", str(Path(folder).parent / "state.json")),
        once=False,
        every=60.0,
        rounds=rounds,
        output_format="json",
    )
    gc.set_threshold(*GC_THRESHOLDS)  # as the command line does: high for any command...
    long_running()  # ...and back to CPython's for watch --every
    try:
        watch(settings, rt, emit=emit, stop=Instant())
    finally:
        rt.close()
    return 0


def bench_rss(prom_url: str, rounds: int) -> None:
    from tests.support.fake_slack import FakeSlack

    with (
        tempfile.TemporaryDirectory(prefix="slo-gate-rss-bench-") as tmp,
        FakeSlack(token=SLACK_TOKEN, channels={CHANNEL}) as slack,
    ):
        folder = Path(tmp) / "policies"
        folder.mkdir()
        (folder / "orders.yaml").write_text(wi.policy_text("orders"))
        argv = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--rss-child",
            prom_url,
            str(rounds),
            str(folder),
            slack.api_url,
        ]
        started = time.perf_counter()
        done = subprocess.run(argv, env=clean_env(), capture_output=True, text=True, check=False, cwd=tmp)
        took = time.perf_counter() - started
        samples = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        if len(samples) < rounds:
            print(done.stderr[-3000:])
            raise SystemExit("the rss child did not finish")
        early = samples[9]["rss_kib"] / 1024
        late = samples[-1]["rss_kib"] / 1024
        peak = max(s["rss_kib"] for s in samples[9:]) / 1024
        print(
            f"rss: watch --every, {rounds} rounds of a paging SLO (full context every round) in {took:.0f} s"
        )
        print(
            f"  RSS after round 10: {early:.1f} MB; after round {rounds}: {late:.1f} MB; peak {peak:.1f} MB"
        )
        print(
            f"  growth: {late - early:+.1f} MB  (goal within +-{TARGET_RSS_MB:g} MB)  {verdict(abs(late - early) <= TARGET_RSS_MB)}"
        )
        print(f"  Slack messages: {len(slack.messages)} (told once, then quiet)")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--rss-child"]:
        return rss_child(args_list[1], int(args_list[2]), args_list[3], args_list[4])
    if args_list[:1] == ["--storm-child"]:
        return storm_child(args_list[1], int(args_list[2]), int(args_list[3]))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=("all", "round", "serve", "rss"), default="all")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--groups-per-second", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rss-rounds", type=int, default=500)
    args = parser.parse_args(args_list)
    from tests.promfixture.server import running_fixture_prometheus

    with running_fixture_prometheus(dataset=wi.WATCH_INCIDENT) as prom:
        if args.part in ("all", "round"):
            bench_round(prom.url, args.runs)
        if args.part in ("all", "serve"):
            bench_serve(prom.url, args.groups_per_second, args.seconds)
        if args.part in ("all", "rss"):
            bench_rss(prom.url, args.rss_rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
