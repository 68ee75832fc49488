"""Dependency manifests and lock files, and whether a change to them is a patch-level bump. PURE.

Lock files (`package-lock.json`, `yarn.lock`, `pnpm-lock.yaml`, `poetry.lock`, `uv.lock`, `go.sum`,
`Cargo.lock`, `Gemfile.lock`, `composer.lock`, …) and manifests (`package.json`, `go.mod`,
`Cargo.toml`, `pyproject.toml`, `requirements*.txt`, `Gemfile`, `pom.xml`, `build.gradle*`, …) are
`dependencies`.

`patch_bump` verifies from the diff that a dependency file's change only moves versions within
their patch level: in every hunk, the removed and the added lines are the same once each `X.Y.Z`
becomes `X.Y.#` and each checksum (`sha512-…`, `h1:…`, hex of 16+ digits) becomes `#`, and at least
one version really changed (a checksum that changes alone is not a bump). Versions with a
pre-release or build part, two-part versions, new or removed packages, and anything else fail it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from gate.models import FileKind
from gate.risk.kinds.facts import Content, PathFacts, Signal, Strength

__all__ = ["LOCKFILES", "PATH_RULES", "patch_bump"]

K = FileKind.DEPENDENCIES
LOCKFILES = frozenset(
    {
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
        "poetry.lock", "pipfile.lock", "uv.lock", "pdm.lock", "go.sum", "cargo.lock", "gemfile.lock",
        "composer.lock", "gradle.lockfile", "packages.lock.json", "flake.lock", "mix.lock",
        "pubspec.lock", "podfile.lock", "package.resolved", "conan.lock", "deps.edn.lock",
    }
)  # fmt: skip
_MANIFESTS = frozenset(
    {
        "package.json", "go.mod", "go.work", "cargo.toml", "pyproject.toml", "pipfile", "setup.cfg",
        "gemfile", "composer.json", "pom.xml", "build.gradle", "build.gradle.kts", "settings.gradle",
        "libs.versions.toml", "mix.exs", "pubspec.yaml", "podfile", "package.swift", "deps.edn",
        "project.clj", "build.sbt", "vcpkg.json", "conanfile.txt", "directory.packages.props",
    }
)  # fmt: skip


def _dependency_file(f: PathFacts) -> Signal | None:
    name = f.lname
    if name in LOCKFILES or name.endswith(".lock"):
        return Signal(K, Strength.NAME, f"lock file ({f.name})")
    if name in _MANIFESTS or name.endswith((".csproj", ".fsproj", ".vbproj", ".gemspec", ".nuspec")):
        return Signal(K, Strength.NAME, f"dependency manifest ({f.name})")
    if name.startswith(("requirements", "constraints")) and name.endswith((".txt", ".in")):
        return Signal(K, Strength.NAME, f"dependency manifest ({f.name})")
    if f.ldirs[-1:] == ("requirements",) and name.endswith((".txt", ".in")):
        return Signal(K, Strength.NAME, f"dependency manifest (requirements/{f.name})")
    return None


PATH_RULES: tuple[Callable[[PathFacts], Signal | None], ...] = (_dependency_file,)

_VERSION = re.compile(r"(?<![\w.])(v?)(\d{1,9})\.(\d{1,9})\.\d{1,9}(?!\d|\.\d)")
_CHECKSUM = re.compile(
    r"sha(?:1|256|384|512)[-:][A-Za-z0-9+/=_-]{8,}|h1:[A-Za-z0-9+/=]{8,}|\b[0-9a-f]{16,}\b"
)


def _skeleton(line: str) -> str:
    return _VERSION.sub(r"\1\2.\3.#", _CHECKSUM.sub("#", line))


def patch_bump(c: Content) -> bool:
    """Whether every hunk only moves versions within their patch level (see the module docstring)."""
    if not c.hunks:
        return False
    for hunk in c.hunks:
        removed = [line[1:] for line in hunk if line[:1] == "-"]
        added = [line[1:] for line in hunk if line[:1] == "+"]
        if not removed or Counter(map(_skeleton, removed)) != Counter(map(_skeleton, added)):
            return False
        before = {m.group(0) for line in removed for m in _VERSION.finditer(line)}
        after = {m.group(0) for line in added for m in _VERSION.finditer(line)}
        if before == after:
            return False
    return True
