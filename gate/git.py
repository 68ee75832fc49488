"""The one way slo-gate runs git: no shell, arguments as data, a deadline, and git's own words on failure.

Every caller (the change collector, the policies read from a PR's base, the audit sink) goes through
`run`. Guarantees:

- git is never run through a shell and never waits for a human (`GIT_TERMINAL_PROMPT=0`, stdin closed
  unless input is given); every call has a timeout.
- A failure is reported with git's actual `fatal:` / `error:` line (not the usage text git prints
  after it), printable and without credentials in URLs, plus the command that failed.
- Output matched by callers is in the C locale, so messages do not change with the user's language.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["ZERO_SHA", "GitResult", "GitUnavailable", "describe_failure", "git_said", "run"]

TIMEOUT: Final = 120.0
# What `github.event.before` is on a push that creates a branch: there is no "before" commit.
ZERO_SHA: Final = "0" * 40
_USERINFO: Final = re.compile(r"(?<=://)[^/@\s]*@")
_PROBLEM: Final = re.compile(r"^(?:fatal|error):\s*", re.IGNORECASE)
_MAX_SHOWN_ARG: Final = 80


class GitUnavailable(Exception):
    """git could not be run at all (not installed, the folder is gone) or did not finish in time.

    Callers turn this into their own error type (a UsageError for the change, an AuditError for the
    audit log), so each layer wraps what it depends on.
    """


@dataclass(frozen=True)
class GitResult:
    args: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def command(self) -> str:
        """The command as shown to a person: `git diff --no-color … main...feature`, arguments capped."""
        shown = [a if len(a) <= _MAX_SHOWN_ARG else a[:_MAX_SHOWN_ARG] + "…" for a in self.args]
        return _USERINFO.sub("", " ".join(["git", *shown]))

    def failure(self) -> str:
        """`git diff ... failed: fatal: ambiguous argument 'nosuchref': unknown revision ...`."""
        return f"{self.command} failed: {describe_failure(self.stderr, self.returncode)}"


def _printable(raw: str) -> str:
    return "".join(c if c.isprintable() else " " for c in raw).strip()


def describe_failure(stderr: bytes, returncode: int) -> str:
    """git's own reason: its first `fatal:`/`error:` line, else its first line, else the exit code."""
    lines = [_printable(line) for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [_USERINFO.sub("", line) for line in lines if line and not line.startswith("hint:")]
    for line in lines:
        if _PROBLEM.match(line):
            return line[:500]
    return lines[0][:500] if lines else f"exit status {returncode}"


def git_said(*outputs: bytes, max_lines: int = 8, max_chars: int = 1200) -> str:
    """git's last lines, printable, without credentials in URLs or hints: safe for logs and PR comments."""
    lines: list[str] = []
    for output in outputs:
        for raw in output.decode("utf-8", "replace").splitlines():
            line = _printable(raw)
            if line and line != "Done" and not line.startswith("hint:"):
                lines.append(_USERINFO.sub("", line))
    text = " | ".join(lines[-max_lines:])
    return (text if len(text) <= max_chars else "…" + text[-max_chars:]) or "(git printed nothing)"


def run(
    args: Sequence[str],
    *,
    cwd: str | None = None,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    config: Sequence[str] = (),
    timeout: float = TIMEOUT,
) -> GitResult:
    """Run `git [-c CONFIG]... ARGS` and return what happened; raises GitUnavailable only when git
    could not run or timed out. `env` adds to (not replaces) the process environment."""
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}
    command = ["git"]
    for item in config:
        command += ["-c", item]
    command += list(args)
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=full_env,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except FileNotFoundError:
        if cwd is not None and not os.path.isdir(cwd):
            raise GitUnavailable(f"the folder {cwd} does not exist") from None
        raise GitUnavailable("git is not installed") from None
    except NotADirectoryError:
        raise GitUnavailable(f"{cwd} is not a folder") from None
    except subprocess.TimeoutExpired:
        shown = GitResult(tuple(args), -1, b"", b"").command
        raise GitUnavailable(f"{shown} took longer than {timeout:g} s") from None
    return GitResult(tuple(args), done.returncode, done.stdout, done.stderr)
