"""The watch and serve examples: the scheduled workflow (also linted with the action files, see
tests/test_action_files.py), the Alertmanager route (checked by Alertmanager's own amtool), and the
Kubernetes manifests (the command and options they run are the CLI's)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.cli import main
from tests.conftest import require
from tests.promfixture.server import FixtureUnavailable

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def _docs(path: Path) -> list[dict[Any, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _options(command: str) -> set[str]:
    import click

    assert isinstance(main, click.Group)
    return {opt for p in main.commands[command].params for opt in getattr(p, "opts", [])}


def test_the_scheduled_watch_runs_once_every_ten_minutes_one_at_a_time() -> None:
    path = EXAMPLES / "slo-watch.yml"
    wf = _docs(path)[0]
    assert wf[True]["schedule"] == [{"cron": "*/10 * * * *"}]
    assert wf["concurrency"] == {"group": "slo-gate-watch", "cancel-in-progress": False}
    job = wf["jobs"]["watch"]
    assert job["permissions"]["contents"] == "write"
    step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("docker://"))
    assert step["with"]["entrypoint"] == "/opt/slo-gate/bin/slo-gate"
    args = step["with"]["args"].split()
    assert args[:2] == ["watch", "--once"] and {a for a in args if a.startswith("--")} <= _options("watch")
    assert "SLO_GATE_SLACK_TOKEN" in step["env"] and "secrets." in step["env"]["SLO_GATE_SLACK_TOKEN"]
    text = path.read_text(encoding="utf-8")
    assert "can start late" in text and "paging belongs to Prometheus and Alertmanager" in text


def _amtool() -> str:
    found = shutil.which("amtool")
    if found is None:
        raise FixtureUnavailable("amtool not found (apt-get install -y prometheus-alertmanager)")
    return found


def test_the_alertmanager_route_is_valid_and_reaches_the_receiver(tmp_path: Path) -> None:
    require("amtool", _amtool)
    path = EXAMPLES / "alertmanager" / "alertmanager.yml"
    done = subprocess.run([_amtool(), "check-config", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    config = _docs(path)[0]
    [hook] = next(r for r in config["receivers"] if r["name"] == "slo-gate")["webhook_configs"]
    assert hook["url"].endswith(":9095/alertmanager") and hook["send_resolved"] is True
    assert "credentials_file" in hook["http_config"]["authorization"]
    matchers = [m for route in config["route"]["routes"] for m in route["matchers"]]
    assert matchers == ['slo_gate_service=~".+"', 'sloth_service=~".+"']


def _container(docs: list[dict[Any, Any]], kind: str) -> dict[str, Any]:
    resource = next(d for d in docs if d["kind"] == kind)
    spec = resource["spec"]
    pod = spec["jobTemplate"]["spec"]["template"]["spec"] if kind == "CronJob" else spec["template"]["spec"]
    container: dict[str, Any] = pod["containers"][0]
    return container


@pytest.mark.parametrize(
    ("name", "kind", "command"),
    [("watch-cronjob.yaml", "CronJob", "watch"), ("serve-deployment.yaml", "Deployment", "serve")],
)
def test_the_kubernetes_manifests_run_real_options_and_take_secrets_from_secrets(
    name: str, kind: str, command: str
) -> None:
    docs = _docs(EXAMPLES / "kubernetes" / name)
    container = _container(docs, kind)
    assert container["command"] == ["/opt/slo-gate/bin/slo-gate"] and container["args"][0] == command
    options = {arg.split("=", 1)[0] for arg in container["args"][1:]}
    assert options <= _options(command)
    env = {e["name"]: e for e in container["env"]}
    for secret in ("SLO_GATE_SLACK_TOKEN", "SLO_GATE_RECEIVER_TOKEN", "SLO_GATE_ANTHROPIC_API_KEY"):
        if secret in env:
            assert "secretKeyRef" in env[secret]["valueFrom"], secret
    if kind == "Deployment":
        assert "SLO_GATE_RECEIVER_TOKEN" in env
        assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["ports"][0]["containerPort"] == 9095 and "--listen=0.0.0.0:9095" in container["args"]
    else:
        assert next(d for d in docs if d["kind"] == "CronJob")["spec"]["concurrencyPolicy"] == "Forbid"
        assert "--once" in container["args"]
