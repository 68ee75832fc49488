"""Collect the change's diff from the workspace's git history (no shell, refs passed as data)."""

from __future__ import annotations

import re
import subprocess

from gate.errors import UsageError

# A ref is a name git accepts; refusing a leading '-' (and using --end-of-options) stops option injection.
_REF = re.compile(r"^[A-Za-z0-9._/@{}^~:-]{1,200}$")
MAX_DIFF_BYTES = 64 * 1024 * 1024


def git_diff(base: str, head: str, *, cwd: str | None = None) -> str:
    """`git diff BASE...HEAD`: the change since the merge base, as a pull request shows it."""
    for name, ref in (("--base", base), ("--head", head)):
        if not _REF.match(ref) or ref.startswith("-"):
            raise UsageError(f"{name} {ref!r} is not a git ref")
    command = [
        "git",
        "-c",
        "core.quotepath=on",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--find-renames",
        "--end-of-options",
        f"{base}...{head}",
    ]
    try:
        completed = subprocess.run(command, cwd=cwd, capture_output=True, check=False, timeout=120)
    except FileNotFoundError:
        raise UsageError("git is not installed; pass the change with --diff FILE instead") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"git diff {base}...{head} took longer than 120 s") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            f"git diff {base}...{head} failed: {message[-1] if message else 'exit ' + str(completed.returncode)}"
        )
    if len(completed.stdout) > MAX_DIFF_BYTES:
        raise UsageError(f"git diff {base}...{head} is larger than {MAX_DIFF_BYTES // (1024 * 1024)} MiB")
    return completed.stdout.decode("utf-8", "surrogateescape")
