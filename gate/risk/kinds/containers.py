"""Container builds, by path and by content. PURE.

Paths: `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `*.dockerfile`, `Containerfile`,
`Containerfile.*` (but not `*.md`, `*.rst`, `*.txt`: those document a build), Compose files
(`docker-compose*.yml`, `compose.yaml`, `compose.*.yaml`, `podman-compose.yml`), `.dockerignore`
and `*.dockerignore`, `docker-bake.hcl`/`.json`, and files in a folder named `docker`.
Content: a file whose lines shown start with `FROM <image>` and hold a `RUN`, `COPY` or `ENTRYPOINT`
instruction is a build recipe whatever its name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gate.models import FileKind
from gate.risk.kinds.facts import Content, PathFacts, Signal, Strength

__all__ = ["CONTENT_RULES", "PATH_RULES"]

K = FileKind.CONTAINER
_DOCS_EXTS = (".md", ".rst", ".txt", ".adoc", ".html")
_BUILD_NAMES = ("dockerfile", "containerfile")
_COMPOSE = ("docker-compose", "compose", "podman-compose", "container-compose")
_OTHER = {
    ".dockerignore": "Docker build context (.dockerignore)",
    ".containerignore": "container build context (.containerignore)",
    "docker-bake.hcl": "Docker Bake (docker-bake.hcl)",
    "docker-bake.json": "Docker Bake (docker-bake.json)",
}


def _build(f: PathFacts) -> Signal | None:
    name = f.lname
    if ("dockerfile" not in name and "containerfile" not in name) or name.endswith(_DOCS_EXTS):
        return None
    for base in _BUILD_NAMES:
        if name == base or name.startswith(base + ".") or name.endswith("." + base):
            return Signal(K, Strength.NAME, f"container build ({f.name})")
    return None


def _compose(f: PathFacts) -> Signal | None:
    if not f.ends(".yml", ".yaml"):
        return None
    stem = f.lname.rsplit(".", 1)[0]
    for base in _COMPOSE:
        if stem == base or stem.startswith(base + ".") or stem.startswith(base + "-"):
            return Signal(K, Strength.NAME, f"Compose file ({f.name})")
    return None


def _other(f: PathFacts) -> Signal | None:
    label = _OTHER.get(f.lname)
    if label is None and f.ends(".dockerignore"):
        label = "Docker build context (*.dockerignore)"
    if label is not None:
        return Signal(K, Strength.NAME, label)
    index = f.folder_index(frozenset({"docker", ".docker"}))
    if index >= 0:
        return Signal(K, Strength.FOLDER, f"in a container folder ({f.dirs[index]}/)")
    return None


PATH_RULES: tuple[Callable[[PathFacts], Signal | None], ...] = (_build, _compose, _other)

_FROM = re.compile(r"\A\s*(?:#[^\n]*\n\s*)*FROM[ \t]+\S", re.IGNORECASE)
_INSTRUCTIONS = re.compile(r"^[ \t]*(?:RUN|COPY|ENTRYPOINT|CMD)[ \t]", re.MULTILINE)


def _recipe(f: PathFacts, c: Content) -> Signal | None:
    if f.ends(*_DOCS_EXTS) or not c.complete:
        return None
    text = c.shown_text
    if _FROM.match(text) and _INSTRUCTIONS.search(text):
        return Signal(K, Strength.CONTENT, "content: container build recipe (`FROM` … `RUN`)")
    return None


CONTENT_RULES: tuple[Callable[[PathFacts, Content], Signal | None], ...] = (_recipe,)
