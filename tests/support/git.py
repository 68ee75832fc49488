"""Run real git in tests with a fixed identity and none of the developer's own configuration."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    **os.environ,
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "LC_ALL": "C",
}


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    """`git ARGS` in `repo`; its stdout (bytes git could not decode kept as surrogates)."""
    done = subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True, input=input)
    return done.stdout.decode("utf-8", "surrogateescape")
