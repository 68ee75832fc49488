"""A real Alertmanager (Debian's `prometheus-alertmanager`) on loopback, routing to one webhook.

    with running_alertmanager(webhook_url, token) as am:
        am.fire({"alertname": "SLOBurn", "slo_gate_service": "orders", ...})
        am.resolve({...same labels...})

Single node (no gossip), `group_wait` 1 s and `group_interval` 1 s so a group is delivered within a
couple of seconds, `send_resolved: true`, the bearer token in `http_config.authorization`, grouped by
`slo_gate_service`. Alerts are posted to its API (`POST /api/v2/alerts`); resolving one posts it again
with `endsAt` in the past. Skips (fails under CI=true, see tests/conftest.require) when the binary
is missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.promfixture.server import FixtureUnavailable

__all__ = ["Alertmanager", "find_alertmanager", "running_alertmanager"]

CONFIG = """\
route:
  receiver: slo-gate
  group_by: [slo_gate_service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: slo-gate
    webhook_configs:
      - url: {url}
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization:
            credentials: {token}
"""


def find_alertmanager() -> str:
    for candidate in (
        os.environ.get("SLO_GATE_ALERTMANAGER_BIN", ""),
        shutil.which("prometheus-alertmanager") or "",
        shutil.which("alertmanager") or "",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    raise FixtureUnavailable(
        "alertmanager not found (apt-get install -y prometheus-alertmanager, or set SLO_GATE_ALERTMANAGER_BIN)"
    )


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Alertmanager:
    url: str

    def post(self, labels: Mapping[str, str], *, ended: bool = False) -> None:
        now = datetime.now(UTC)
        alert: dict[str, object] = {"labels": dict(labels), "annotations": {"summary": "burn"}}
        alert["startsAt"] = _stamp(now - timedelta(minutes=5))
        if ended:
            alert["endsAt"] = _stamp(now - timedelta(seconds=1))
        httpx.post(f"{self.url}/api/v2/alerts", json=[alert], timeout=10).raise_for_status()

    def fire(self, labels: Mapping[str, str]) -> None:
        self.post(labels)

    def resolve(self, labels: Mapping[str, str]) -> None:
        self.post(labels, ended=True)


@contextlib.contextmanager
def running_alertmanager(webhook_url: str, token: str) -> Iterator[Alertmanager]:
    binary = find_alertmanager()
    with tempfile.TemporaryDirectory(prefix="slo-gate-am-") as tmp:
        config = Path(tmp) / "am.yml"
        config.write_text(CONFIG.format(url=webhook_url, token=token))
        port = _port()
        log = (Path(tmp) / "am.log").open("wb")
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={tmp}/data",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    raise FixtureUnavailable(
                        f"alertmanager exited: {(Path(tmp) / 'am.log').read_text()[-2000:]}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/-/ready", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise FixtureUnavailable("alertmanager did not become ready within 30 s")
                time.sleep(0.05)
            yield Alertmanager(url)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            log.close()
