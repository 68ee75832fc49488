"""The release pins the action to its published image: scripts/pin_action_image.py and release.yml.

The pin script is checked offline on copies of the real action.yml (the result is schema-valid and names
exactly the digest it was given; nothing else in the file changes, parsed or raw; bad references are
refused and leave the file alone). release.yml's own shell steps are run against real git repositories
with a local bare repository as `origin`, so the release commit and the moved tags are what a user's
`uses: OWNER/slo-gate@v1` resolves.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.support.git import GIT_ENV, git

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ACTION = ROOT / "action.yml"
SCRIPT = ROOT / "scripts" / "pin_action_image.py"
RELEASE = ROOT / ".github" / "workflows" / "release.yml"

DIGEST = "0123456789abcdef" * 4
OTHER_DIGEST = "fedcba9876543210" * 4
REFERENCE = f"docker://ghcr.io/example-org/slo-gate@sha256:{DIGEST}"


def _pin_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pin_action_image", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pin = _pin_module()


def _run_script(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *(str(a) for a in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _without_image(document: dict[str, Any]) -> dict[str, Any]:
    runs = {k: v for k, v in document["runs"].items() if k != "image"}
    return {**document, "runs": runs}


@pytest.fixture
def action_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "action.yml"
    copy.write_bytes(ACTION.read_bytes())
    return copy


# -- the rewrite


def test_main_builds_the_dockerfile() -> None:
    """The pin happens only on the release commit; main (development, the self-test) builds the Dockerfile."""
    assert yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["image"] == "Dockerfile"


@pytest.mark.slow
def test_pinned_action_is_schema_valid_and_names_exactly_the_digest(action_copy: Path) -> None:
    done = _run_script(REFERENCE, "--action", action_copy)
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(action_copy.read_text(encoding="utf-8"))["runs"]["image"] == REFERENCE
    schema = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(action_copy)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    assert re.findall(r"sha256:[0-9a-f]{64}", action_copy.read_text(encoding="utf-8")) == [f"sha256:{DIGEST}"]


def test_nothing_but_the_image_changes(action_copy: Path) -> None:
    before = action_copy.read_text(encoding="utf-8")
    assert _run_script(REFERENCE, "--action", action_copy).returncode == 0
    after = action_copy.read_text(encoding="utf-8")
    # parsed: equal once runs.image is set aside
    assert _without_image(yaml.safe_load(after)) == _without_image(yaml.safe_load(before))
    # raw: the same lines, comments and all, except exactly the image line
    old_lines, new_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old_lines) == len(new_lines)
    changed = [(old, new) for old, new in zip(old_lines, new_lines, strict=True) if old != new]
    assert changed == [("  image: Dockerfile\n", f"  image: {REFERENCE}\n")]


def test_pinning_again_replaces_the_digest(action_copy: Path) -> None:
    original = action_copy.read_text(encoding="utf-8")
    once = pin.pin_image(pin.pin_image(original, REFERENCE), REFERENCE.replace(DIGEST, OTHER_DIGEST))
    assert once == pin.pin_image(original, REFERENCE.replace(DIGEST, OTHER_DIGEST))
    assert pin.pin_image(pin.pin_image(original, REFERENCE), REFERENCE) == pin.pin_image(original, REFERENCE)


@pytest.mark.parametrize(
    "reference",
    [
        f"docker://ghcr.io/example-org/slo-gate@sha256:{DIGEST}",
        f"docker://registry.example.com:5000/team/tools/slo-gate@sha256:{DIGEST}",
        f"docker://localhost/slo-gate@sha256:{DIGEST}",
        f"docker://mirror:5000/slo_gate__v1/a.b-c@sha256:{DIGEST}",
    ],
    ids=["ghcr", "port and nested path", "localhost", "separators"],
)
def test_well_formed_references_are_accepted(reference: str) -> None:
    assert pin.check_reference(reference) == reference


BAD_REFERENCES = {
    "no docker:// scheme": f"ghcr.io/example-org/slo-gate@sha256:{DIGEST}",
    "a tag, not a digest": "docker://ghcr.io/example-org/slo-gate:v1",
    "a tag and a digest": f"docker://ghcr.io/example-org/slo-gate:v1@sha256:{DIGEST}",
    "the Dockerfile": "Dockerfile",
    "no registry (Docker Hub)": f"docker://example-org/slo-gate@sha256:{DIGEST}",
    "no path": f"docker://ghcr.io@sha256:{DIGEST}",
    "an empty path component": f"docker://ghcr.io//slo-gate@sha256:{DIGEST}",
    "upper case in the name": f"docker://ghcr.io/Example-Org/slo-gate@sha256:{DIGEST}",
    "upper-case hex": f"docker://ghcr.io/example-org/slo-gate@sha256:{DIGEST.upper()}",
    "63 hex digits": f"docker://ghcr.io/example-org/slo-gate@sha256:{DIGEST[:-1]}",
    "65 hex digits": f"docker://ghcr.io/example-org/slo-gate@sha256:{DIGEST}0",
    "another algorithm": f"docker://ghcr.io/example-org/slo-gate@sha512:{DIGEST}{DIGEST}",
    "an empty digest": "docker://ghcr.io/example-org/slo-gate@sha256:",
    "a trailing newline": f"{REFERENCE}\n",
    "a newline and a YAML key": f"{REFERENCE}\n  entrypoint: /bin/sh",
    "a trailing comment": f"{REFERENCE} # v1",
    "surrounding space": f" {REFERENCE}",
    "quotes": f'"{REFERENCE}"',
    "a URL scheme": f"docker://https://ghcr.io/example-org/slo-gate@sha256:{DIGEST}",
    "userinfo": f"docker://user:pass@ghcr.io/example-org/slo-gate@sha256:{DIGEST}",
    "a name over 255 characters": f"docker://ghcr.io/{'a' * 250}/slo-gate@sha256:{DIGEST}",
    "empty": "",
}


@pytest.mark.parametrize("reference", BAD_REFERENCES.values(), ids=BAD_REFERENCES.keys())
def test_bad_references_are_refused_and_the_file_is_left_alone(action_copy: Path, reference: str) -> None:
    before = action_copy.read_bytes()
    with pytest.raises(pin.PinError):
        pin.check_reference(reference)
    done = _run_script(reference, "--action", action_copy)
    assert done.returncode == 2
    assert "refusing image reference" in done.stderr
    assert done.stdout == ""
    assert action_copy.read_bytes() == before


ACTION_SHAPES = {
    "a composite action (no image)": "runs:\n  using: composite\n  steps: []\n",
    "flow-style runs": "runs: {using: docker, image: Dockerfile}\n",
    "image only nested deeper": "runs:\n  using: docker\n  env:\n    image: Dockerfile\n",
    "two image keys": "runs:\n  using: docker\n  image: Dockerfile\n  image: Dockerfile\n",
    "no runs at all": "name: x\ninputs: {}\n",
    "an empty image": "runs:\n  using: docker\n  image:\n",
}


@pytest.mark.parametrize("text", ACTION_SHAPES.values(), ids=ACTION_SHAPES.keys())
def test_an_action_without_exactly_one_runs_image_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "action.yml"
    path.write_text(text, encoding="utf-8")
    done = _run_script(REFERENCE, "--action", path)
    assert done.returncode == 2
    assert "pin_action_image:" in done.stderr
    assert path.read_text(encoding="utf-8") == text


def test_only_the_direct_child_of_runs_changes() -> None:
    text = (
        "name: x # keep\r\n"
        "runs:   # the container\r\n"
        "  using: docker\r\n"
        "  env:\r\n"
        "    image: not-this-one\r\n"
        "  image: 'Dockerfile'   # built on main\r\n"
        "  args: [check]\r\n"
        "outputs:\r\n"
        "  image: {description: not this one either}\r\n"
    )
    pinned = pin.pin_image(text, REFERENCE)
    assert pinned == text.replace("  image: 'Dockerfile'", f"  image: {REFERENCE}")
    parsed = yaml.safe_load(pinned)
    assert parsed["runs"]["image"] == REFERENCE
    assert parsed["runs"]["env"]["image"] == "not-this-one"
    assert _without_image(parsed) == _without_image(yaml.safe_load(text))


# -- release.yml


def _release() -> dict[str, Any]:
    data = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _release()["jobs"]["release"]["steps"]
    return steps


def _step(name: str) -> dict[str, Any]:
    return next(s for s in _steps() if s.get("name") == name)


def test_release_pins_the_digest_it_pushed_before_moving_any_tag() -> None:
    steps = _steps()
    build = next(s for s in steps if str(s.get("uses", "")).startswith("docker/build-push-action@"))
    pin_step = _step("Pin action.yml to the pushed image")
    commit = _step("Commit the release and move the tags")
    assert steps.index(build) < steps.index(pin_step) < steps.index(commit)
    assert build["with"]["push"] is True
    digest = f"${{{{ steps.{build['id']}.outputs.digest }}}}"
    assert pin_step["env"] == {"IMAGE": "${{ steps.meta.outputs.image }}", "DIGEST": digest}
    assert pin_step["run"].strip() == 'python3 scripts/pin_action_image.py "docker://$IMAGE@$DIGEST"'
    assert commit["env"]["DIGEST"] == digest
    # No step before the commit pushes a git ref.
    for step in steps[: steps.index(commit)]:
        assert "git push" not in str(step.get("run", ""))


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _release_env(**extra: str) -> dict[str, str]:
    # The commit identity must come from the step itself, not from the test's git environment.
    env = {k: v for k, v in GIT_ENV.items() if not k.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_"))}
    return {**env, **extra}


def _repository(tmp_path: Path, tags: list[str]) -> tuple[Path, Path, str]:
    """A project with this action.yml and its scripts, tagged, cloned detached at the newest tag."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "scripts").mkdir()
    (work / "action.yml").write_bytes(ACTION.read_bytes())
    (work / "scripts" / "pin_action_image.py").write_bytes(SCRIPT.read_bytes())
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "main")
    for tag in tags:
        git(work, "tag", tag)
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(origin))
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(origin), str(checkout))
    tagged = git(checkout, "rev-parse", "HEAD").strip()
    git(checkout, "checkout", "-q", "--detach", tagged)
    return origin, checkout, tagged


def _meta(checkout: Path, tag: str, tmp_path: Path) -> dict[str, str]:
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    done = _bash(
        _step("Image name and tags")["run"],
        checkout,
        _release_env(TAG=tag, REPOSITORY="Example-Org/slo-gate", GITHUB_OUTPUT=str(output)),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = output.read_text(encoding="utf-8")
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and "<<" not in line)
    values["tags"] = text.split("tags<<EOF_TAGS\n", 1)[1].split("EOF_TAGS", 1)[0].strip()
    return values


@pytest.mark.parametrize(
    ("tags", "tag", "moves"),
    [
        (["v1.2.3"], "v1.2.3", True),
        (["v1.2.3", "v1.3.0"], "v1.2.3", False),  # a patch to an older minor, released later
        (["v1.3.0-rc.1"], "v1.3.0-rc.1", False),  # a pre-release
    ],
    ids=["newest release", "older minor", "pre-release"],
)
def test_release_commit_pins_the_image_and_moves_the_tags(
    tmp_path: Path, tags: list[str], tag: str, moves: bool
) -> None:
    origin, checkout, tagged = _repository(tmp_path, tags)
    git(origin, "tag", "v1", tagged)  # the major tag as an earlier release left it
    meta = _meta(checkout, tag, tmp_path)
    image = "ghcr.io/example-org/slo-gate"
    assert meta["image"] == image
    assert meta["major"] == "v1"
    assert meta["move-major"] == ("true" if moves else "false")
    assert meta["tags"].splitlines() == [f"{image}:{tag}"] + ([f"{image}:v1"] if moves else [])

    env = _release_env(
        TAG=tag,
        MAJOR=meta["major"],
        MOVE_MAJOR=meta["move-major"],
        IMAGE=meta["image"],
        DIGEST=f"sha256:{DIGEST}",
        GITHUB_TOKEN="not-a-real-token",
        SERVER_URL="https://github.com",
        GITHUB_SHA=tagged,
    )
    for name in ("Pin action.yml to the pushed image", "Commit the release and move the tags"):
        done = _bash(_step(name)["run"], checkout, env)
        assert done.returncode == 0, f"{name}: {done.stdout}{done.stderr}"
        assert "not-a-real-token" not in done.stdout + done.stderr

    release = git(origin, "rev-parse", f"refs/tags/{tag}^{{commit}}").strip()
    assert release != tagged
    assert git(origin, "rev-parse", f"{release}^").strip() == tagged  # on top of the tagged commit
    assert git(origin, "rev-list", "--count", release).strip() == "2"
    assert git(origin, "rev-parse", "refs/heads/main").strip() == tagged  # on no branch
    assert git(origin, "diff", "--name-only", tagged, release).split() == ["action.yml"]
    pinned = git(origin, "show", f"{release}:action.yml")
    assert yaml.safe_load(pinned)["runs"]["image"] == f"docker://{image}@sha256:{DIGEST}"
    assert pinned == pin.pin_image(ACTION.read_text(encoding="utf-8"), f"docker://{image}@sha256:{DIGEST}")
    author = git(origin, "log", "-1", "--format=%an <%ae>|%s", release).strip()
    assert author == (
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>|"
        f"Release {tag}: action.yml runs {image}@sha256:{DIGEST}"
    )
    major = git(origin, "rev-parse", "refs/tags/v1^{commit}").strip()
    assert major == (release if moves else tagged)
    config = (checkout / ".git" / "config").read_text(encoding="utf-8")
    assert "extraheader" not in config.lower(), "the token must not be written to .git/config"


def test_release_refuses_a_checkout_that_is_not_the_tagged_commit(tmp_path: Path) -> None:
    origin, checkout, tagged = _repository(tmp_path, ["v1.2.3"])
    (checkout / "extra.txt").write_text("x\n", encoding="utf-8")
    git(checkout, "add", "extra.txt")
    git(checkout, "commit", "-q", "-m", "not the release")
    env = _release_env(
        TAG="v1.2.3",
        MAJOR="v1",
        MOVE_MAJOR="true",
        IMAGE="ghcr.io/example-org/slo-gate",
        DIGEST=f"sha256:{DIGEST}",
        GITHUB_TOKEN="not-a-real-token",
        SERVER_URL="https://github.com",
        GITHUB_SHA=tagged,
    )
    done = _bash(_step("Commit the release and move the tags")["run"], checkout, env)
    assert done.returncode == 1
    assert "is not the tagged commit" in done.stdout
    assert git(origin, "rev-parse", "refs/tags/v1.2.3").strip() == tagged


def test_release_refuses_other_changes_in_the_checkout(tmp_path: Path) -> None:
    origin, checkout, tagged = _repository(tmp_path, ["v1.2.3"])
    (checkout / "scripts" / "pin_action_image.py").write_text("# changed\n", encoding="utf-8")
    env = _release_env(
        TAG="v1.2.3",
        MAJOR="v1",
        MOVE_MAJOR="true",
        IMAGE="ghcr.io/example-org/slo-gate",
        DIGEST=f"sha256:{DIGEST}",
        GITHUB_TOKEN="not-a-real-token",
        SERVER_URL="https://github.com",
        GITHUB_SHA=tagged,
    )
    done = _bash(_step("Commit the release and move the tags")["run"], checkout, env)
    assert done.returncode == 1
    assert "files other than action.yml changed" in done.stdout
    assert git(origin, "rev-parse", "refs/tags/v1.2.3").strip() == tagged


def test_release_scripts_see_no_untrusted_expression() -> None:
    """Every value reaches the release shell through env; none is expanded into the script."""
    for step in _steps():
        if "run" in step:
            assert "${{" not in step["run"], step.get("name")


def test_the_script_needs_only_the_standard_library() -> None:
    """The release runner installs nothing: the script runs on a bare python3 with site-packages off."""
    done = subprocess.run(
        [sys.executable, "-S", "-I", str(SCRIPT), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert done.returncode == 0, done.stderr
    assert "docker://<registry>/<path>@sha256:<64 hex>" in done.stdout
