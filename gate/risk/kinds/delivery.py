"""CI and delivery pipelines, by path and by content. PURE.

Paths: GitHub Actions (`.github/workflows/`, `.github/actions/`, `action.yml` anywhere), GitLab CI
(`.gitlab-ci.yml`, `*.gitlab-ci.yml`, `.gitlab/ci/`), CircleCI (`.circleci/`), Jenkins
(`Jenkinsfile`, `Jenkinsfile.*`, `*.jenkinsfile`, `.jenkins/`), Azure Pipelines
(`azure-pipelines*.yml`, `.azure-pipelines/`, `.azuredevops/`), Buildkite (`.buildkite/`), Drone
(`.drone.yml`, `.drone.star`, `.drone.jsonnet`), Woodpecker (`.woodpecker/`, `.woodpecker.yml`),
Travis (`.travis.yml`), and Bitbucket Pipelines, Cloud Build, CodeBuild, AppVeyor, Cirrus, Semaphore,
Tekton, GoReleaser; Argo CD / Argo Rollouts / Flux folders (`argocd/`, `flux-system/`). A folder
named `ci` or `.ci` is weaker evidence. A shell script named for delivery (`deploy.sh`,
`bin/rollout`, `promote.ps1`) is part of the pipeline too.

Content, for YAML and JSON: Argo and Flux manifests (`argoproj.io/`, `toolkit.fluxcd.io/`), Tekton
(`tekton.dev/`), a GitHub workflow (`runs-on:`) or action (`using: composite|node…|docker`), and a
GitLab pipeline fragment (`stage:` with `script:`).
"""

from __future__ import annotations

from collections.abc import Callable

from gate.models import FileKind
from gate.risk.kinds.facts import Content, PathFacts, Signal, Strength
from gate.risk.kinds.infra import structured

__all__ = ["CONTENT_RULES", "PATH_RULES"]

K = FileKind.CI

_NAMES: dict[str, str] = {
    ".gitlab-ci.yml": "GitLab CI",
    ".gitlab-ci.yaml": "GitLab CI",
    "jenkinsfile": "Jenkins pipeline",
    ".drone.yml": "Drone",
    ".drone.yaml": "Drone",
    ".drone.star": "Drone",
    ".drone.jsonnet": "Drone",
    ".woodpecker.yml": "Woodpecker",
    ".woodpecker.yaml": "Woodpecker",
    ".travis.yml": "Travis CI",
    "bitbucket-pipelines.yml": "Bitbucket Pipelines",
    "cloudbuild.yaml": "Cloud Build",
    "cloudbuild.yml": "Cloud Build",
    "cloudbuild.json": "Cloud Build",
    "buildspec.yml": "AWS CodeBuild",
    "buildspec.yaml": "AWS CodeBuild",
    "appveyor.yml": "AppVeyor",
    ".appveyor.yml": "AppVeyor",
    ".cirrus.yml": "Cirrus CI",
    "codemagic.yaml": "Codemagic",
    ".goreleaser.yml": "GoReleaser",
    ".goreleaser.yaml": "GoReleaser",
    "action.yml": "GitHub action",
    "action.yaml": "GitHub action",
    "buildkite.yml": "Buildkite",
    "buildkite.yaml": "Buildkite",
    "earthfile": "Earthly build",
}
# Folders that only ever hold one CI system's files (relative to anywhere in the tree).
_CHAINS: tuple[tuple[tuple[str, ...], str], ...] = (
    ((".github", "workflows"), "GitHub Actions workflow (.github/workflows/)"),
    ((".github", "actions"), "GitHub action (.github/actions/)"),
    ((".gitlab", "ci"), "GitLab CI (.gitlab/ci/)"),
    ((".circleci",), "CircleCI (.circleci/)"),
    ((".buildkite",), "Buildkite (.buildkite/)"),
    ((".woodpecker",), "Woodpecker (.woodpecker/)"),
    ((".azure-pipelines",), "Azure Pipelines (.azure-pipelines/)"),
    ((".azuredevops",), "Azure Pipelines (.azuredevops/)"),
    ((".pipelines",), "Azure Pipelines (.pipelines/)"),
    ((".jenkins",), "Jenkins (.jenkins/)"),
    ((".semaphore",), "Semaphore (.semaphore/)"),
    ((".tekton",), "Tekton (.tekton/)"),
    ((".drone",), "Drone (.drone/)"),
    ((".github", "workflow-templates"), "GitHub workflow template"),
)
_DELIVERY_FOLDERS = frozenset({"argocd", "argo-cd", "argo", "flux-system", "flux", "fluxcd", "gitops"})
_CI_FOLDERS = frozenset({"ci", ".ci"})


def _name(rule: str) -> Signal:
    return Signal(K, Strength.NAME, rule)


def _known_name(f: PathFacts) -> Signal | None:
    label = _NAMES.get(f.lname)
    if label is not None:
        return _name(f"{label} ({f.name})")
    if f.ends(".gitlab-ci.yml", ".gitlab-ci.yaml"):
        return _name("GitLab CI (*.gitlab-ci.yml)")
    if f.lname.startswith("jenkinsfile.") or f.ends(".jenkinsfile"):
        return _name("Jenkins pipeline (Jenkinsfile.*)")
    if f.lname.startswith("azure-pipelines") and f.ends(".yml", ".yaml"):
        return _name("Azure Pipelines (azure-pipelines*.yml)")
    return None


_CHAIN_HEADS = frozenset(chain[0] for chain, _ in _CHAINS)


def _folders(f: PathFacts) -> Signal | None:
    if not f.dirset.isdisjoint(_CHAIN_HEADS):
        for chain, label in _CHAINS:
            if f.under(*chain):
                return Signal(K, Strength.LAYOUT, label)
    index = f.folder_index(_DELIVERY_FOLDERS)
    if index >= 0:
        return Signal(K, Strength.FOLDER, f"in a GitOps delivery folder ({f.dirs[index]}/)")
    index = f.folder_index(_CI_FOLDERS)
    if index >= 0:
        return Signal(K, Strength.FOLDER, f"in a CI folder ({f.dirs[index]}/)")
    return None


_SCRIPT_EXTS = (".sh", ".bash", ".zsh", ".ps1", ".cmd", ".bat")
_DEPLOY_WORDS = frozenset({"deploy", "deployment", "rollout", "rollback", "promote"})


def _deploy_script(f: PathFacts) -> Signal | None:
    script = f.ends(*_SCRIPT_EXTS) or ("." not in f.name and f.ldirs[-1:] in (("bin",), ("scripts",)))
    if script and any(word in _DEPLOY_WORDS for word in f.words):
        return _name(f"deploy script ({f.name})")
    return None


PATH_RULES: tuple[Callable[[PathFacts], Signal | None], ...] = (_known_name, _folders, _deploy_script)

_MANIFESTS = (
    ("Argo CD/Rollouts manifest", "argoproj.io/"),
    ("Flux manifest", "toolkit.fluxcd.io/"),
    ("Tekton pipeline", "tekton.dev/"),
)
_ACTION_RUNTIMES = (
    "using: composite",
    "using: 'composite'",
    'using: "composite"',
    "using: node",
    "using: docker",
)


def _pipelines(f: PathFacts, c: Content) -> Signal | None:
    if not structured(f):
        return None
    text = c.shown_text
    for label, marker in _MANIFESTS:
        if marker in text:
            return Signal(K, Strength.CONTENT, f"content: {label} (`{marker}`)")
    if "runs-on:" in text:
        return Signal(K, Strength.CONTENT, "content: GitHub Actions workflow (`runs-on:`)")
    for marker in _ACTION_RUNTIMES:
        if marker in text:
            return Signal(K, Strength.CONTENT, "content: GitHub action (`runs.using`)")
    if "stage:" in text and "script:" in text:
        return Signal(K, Strength.CONTENT, "content: GitLab CI job (`stage:` with `script:`)")
    return None


CONTENT_RULES: tuple[Callable[[PathFacts, Content], Signal | None], ...] = (_pipelines,)
