"""`slo-gate serve` end to end: the real receiver process (uvicorn + starlette) fed by a real Alertmanager,
enriching from a real Prometheus, posting to a loopback Slack; and its HTTP contract (token, size,
payload, queue) over real sockets."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from tests.conftest import require
from tests.promfixture import watch_incident as wi
from tests.promfixture.server import FixturePrometheus
from tests.support.alertmanager import find_alertmanager, running_alertmanager
from tests.support.fake_slack import FakeSlack
from tests.support.httpstub import HTTPStub, Reply

pytestmark = pytest.mark.slow

RECEIVER_TOKEN = "receiver-token-0123456789abcdef"
SLACK_TOKEN = "xoxb-serve-token"
CHANNEL = "C0SERVE01"
ROOT = Path(__file__).resolve().parents[1]
ORDERS = {"alertname": "SLOErrorBudgetBurn", "slo_gate_service": "orders", "slo_gate_slo": "availability"}
SLOTH = {
    "alertname": "SlothBurn",
    "sloth_service": "payments",
    "sloth_slo": "availability",
    "sloth_severity": "ticket",
}


@dataclass
class Receiver:
    url: str
    proc: subprocess.Popen[bytes]
    log: IO[bytes]
    log_path: Path

    def stop(self) -> int:
        """SIGTERM, and the exit code once the queue is drained."""
        self.proc.terminate()
        return self.proc.wait(timeout=60)

    def logs(self) -> list[dict[str, Any]]:
        self.log.flush()
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.startswith("{")]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Wait for an event in another process (Alertmanager's group_wait, a worker); never a timing assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextlib.contextmanager
def receiver(tmp_path: Path, prom: FixturePrometheus, env: dict[str, str], *extra: str) -> Iterator[Receiver]:
    policies = tmp_path / "policies"
    policies.mkdir(exist_ok=True)
    (policies / "orders.yaml").write_text(wi.policy_text("orders"))
    (policies / "payments.yaml").write_text(wi.policy_text("payments", breakdown=()))
    port = _port()
    log_path = tmp_path / f"serve-{port}.log"
    log = log_path.open("wb")
    command = [
        sys.executable, "-m", "gate", "serve", "--listen", f"127.0.0.1:{port}", "--policy", str(policies),
        "--prometheus-url", prom.url, "--at", str(wi.DURING), "--no-llm", "--state", f"file:{tmp_path}/serve.json",
        *extra,
    ]  # fmt: skip
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "SLO_GATE_RECEIVER_TOKEN": RECEIVER_TOKEN, **env}
    proc = subprocess.Popen(command, env=full_env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
            return False

        wait_for(ready, "the receiver to listen")
        yield Receiver(url, proc, log, log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def slack_env(slack: FakeSlack) -> dict[str, str]:
    return {"SLO_GATE_SLACK_API_URL": slack.api_url, "SLO_GATE_SLACK_TOKEN": SLACK_TOKEN}


def test_alertmanager_groups_become_one_enriched_message_each_and_resolved_closes_them(
    watch_prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    require("Alertmanager", find_alertmanager)
    with (
        FakeSlack(token=SLACK_TOKEN, channels={CHANNEL}) as slack,
        receiver(tmp_path, watch_prometheus, slack_env(slack), "--slack-channel", CHANNEL) as serve,
        running_alertmanager(f"{serve.url}/alertmanager", RECEIVER_TOKEN) as am,
    ):
        am.fire({**ORDERS, "severity": "page", "window": "1h"})
        am.fire({**ORDERS, "severity": "page", "window": "6h"})  # same group (slo_gate_service)
        am.fire(SLOTH)  # Sloth's labels: another group
        wait_for(lambda: len(slack.messages) == 2, "one message per group")
        by_header = {m.blocks[0]["text"]["text"]: m for m in slack.messages}
        orders = next(m for h, m in by_header.items() if "orders" in h)
        payments = next(m for h, m in by_header.items() if "payments" in h)
        assert "PAGE" in orders.blocks[0]["text"]["text"] and "TICKET" in payments.blocks[0]["text"]["text"]
        text = orders.block_text
        assert "`/api/orders`" in text and "`acme`" in text and "concentrated" in text
        assert "Burning since" in text and "&lt;!channel&gt;" in text and "<!channel>" not in text

        am.resolve({**ORDERS, "severity": "page", "window": "1h"})
        am.resolve({**ORDERS, "severity": "page", "window": "6h"})
        wait_for(
            lambda: any(e["event"] == "notice" and e.get("notice") == "resolved" for e in serve.logs()),
            "the resolved group to be handled",
        )
        assert orders.blocks[0]["text"]["text"].startswith("✅ RESOLVED")
        assert any("Resolved" in reply.block_text for reply in orders.replies)  # told in the thread too
        assert len(slack.messages) == 2  # never a second message for a group
        assert serve.stop() == 0  # SIGTERM: stop accepting, finish what is queued, write the state, exit 0
        state = json.loads((tmp_path / "serve.json").read_text())
        assert len(state["groups"]) == 1  # the orders group is forgotten, the payments one is open
        logs = serve.logs()
        assert any(entry["event"] == "request" and entry["status"] == 200 for entry in logs)
        assert logs[-1]["event"] == "stopped" and logs[-1]["drained"] and logs[-1]["exit"] == 0
        workers = next(e for e in logs if e["event"] == "workers_stopped")
        assert workers["drained"] and workers["state_written"]
        assert any(e["event"] == "listening" and e["worker"] != serve.proc.pid for e in logs)
        assert (
            RECEIVER_TOKEN not in serve.log_path.read_text() and SLACK_TOKEN not in serve.log_path.read_text()
        )


def _notification(group_key: str, labels: dict[str, str], status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "receiver": "slo-gate",
        "status": status,
        "groupKey": group_key,
        "groupLabels": {},
        "commonLabels": labels,
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {},
                "fingerprint": "f1",
                "startsAt": "2026-11-03T12:05:00Z",
            }
        ],
        "truncatedAlerts": 0,
    }


def test_the_receiver_refuses_what_it_should_and_never_waits_for_slack(
    watch_prometheus: FixturePrometheus, tmp_path: Path
) -> None:
    stalls = HTTPStub(default=Reply.stalled(60, Reply.json({"ok": True, "channel": CHANNEL, "ts": "1.1"})))
    with stalls, receiver(
        tmp_path, watch_prometheus, {"SLO_GATE_SLACK_API_URL": stalls.url, "SLO_GATE_SLACK_TOKEN": SLACK_TOKEN},
        "--slack-channel", CHANNEL, "--queue-size", "1", "--workers", "1",
    ) as serve:  # fmt: skip
        auth = {"Authorization": f"Bearer {RECEIVER_TOKEN}"}
        hook = f"{serve.url}/alertmanager"
        body = _notification("{}:{a}", {**ORDERS, "severity": "page"})
        assert httpx.post(hook, json=body, timeout=10).status_code == 401
        assert (
            httpx.post(hook, json=body, headers={"Authorization": "Bearer nope"}, timeout=10).status_code
            == 401
        )
        assert httpx.post(hook, json={"version": "3"}, headers=auth, timeout=10).status_code == 400
        huge = b'{"version": "4", "pad": "' + b"x" * (1024 * 1024) + b'"}'
        assert httpx.post(hook, content=huge, headers=auth, timeout=10).status_code == 413
        assert httpx.post(hook, content=b"[" * 100_000, headers=auth, timeout=10).status_code == 400

        # group A reaches the worker, which then waits on a Slack that does not answer ...
        assert httpx.post(hook, json=body, headers=auth, timeout=10).status_code == 200
        wait_for(lambda: len(stalls.requests) == 1, "the worker to reach Slack")
        # ... and still the receiver answers at once: the next groups wait, and once the bounded queue
        # is full the answer is 503 (Alertmanager retries), all while Slack holds the first post
        answers = []
        for index in range(8):
            more = _notification(f"{{}}:{{g{index}}}", {**ORDERS, "severity": "page"})
            answers.append(httpx.post(hook, json=more, headers=auth, timeout=10).status_code)
            if answers[-1] == 503:
                break
        assert answers[-1] == 503 and set(answers[:-1]) == {200} and len(answers) <= 5, answers
        assert httpx.get(f"{serve.url}/healthz", timeout=10).json() == {"status": "ok", "queued": 1}
        assert len(stalls.requests) == 1  # every answer above came while Slack still held the first post
        statuses = [e["status"] for e in serve.logs() if e["event"] == "request"]
        assert statuses == [401, 401, 400, 413, 400, 200, *answers]
        stalls.stop()  # Slack goes away: the held post fails, the queued group follows, the drain ends
        assert serve.stop() == 0
        failed = [e for e in serve.logs() if e["event"] == "delivery_failed"]
        assert len(failed) == len(answers) and all(SLACK_TOKEN not in e["error"] for e in failed)
