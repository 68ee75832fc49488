"""Typed settings of `slo-gate watch` and `slo-gate serve`, checked before any query is sent.

Secrets stay out of reprs: the Slack and webhook URLs (credentials in themselves) may arrive as options
for local use, so their fields are left out of `repr`; the bot token and the receiver token are never
settings at all (the composition root reads them from the environment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gate.errors import UsageError
from gate.settings import MetricsSettings, ModelSettings, NotifySettings
from gate.times import parse_span

__all__ = [
    "ServeSettings",
    "StoreSpec",
    "WatchFormat",
    "WatchSettings",
    "parse_listen",
    "parse_sink",
    "state_spec",
]

WatchFormat = Literal["text", "json"]
_LISTEN = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]{2,45})\]|(?P<host>[A-Za-z0-9.-]{1,253})):(?P<port>\d{1,5})")


@dataclass(frozen=True)
class StoreSpec:
    """`git:BRANCH` or `file:PATH`."""

    kind: Literal["git", "file"]
    target: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}"


def parse_sink(text: str | None, option: str) -> StoreSpec | None:
    """`none`/empty -> None; `git:BRANCH` or `file:PATH`; anything else is a UsageError naming `option`."""
    if text is None or text.strip() in ("", "none"):
        return None
    kind, _, target = text.strip().partition(":")
    if kind not in ("git", "file") or not target:
        raise UsageError(f"{option} {text!r}: expected git:BRANCH or file:PATH")
    return StoreSpec("git" if kind == "git" else "file", target)


def state_spec(state: StoreSpec | None, audit: StoreSpec | None) -> StoreSpec | None:
    """Where the state lives: `--state`, else beside the audit log (the same branch, or PATH.watch-state.json)."""
    if state is not None or audit is None:
        return state
    if audit.kind == "git":
        return audit
    return StoreSpec("file", audit.target + ".watch-state.json")


def parse_listen(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:9095` for IPv6)."""
    found = _LISTEN.fullmatch(text.strip())
    port = int(found.group("port")) if found else 0
    if found is None or not 0 < port < 65536:
        raise UsageError(f"--listen {text!r}: expected HOST:PORT, such as 127.0.0.1:9095")
    return found.group("v6") or found.group("host"), port


def span_option(text: str, option: str) -> float:
    try:
        return parse_span(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


@dataclass(frozen=True)
class WatchSettings:
    policies: tuple[Path, ...]
    services: tuple[str, ...]
    metrics: MetricsSettings
    notify: NotifySettings
    model: ModelSettings
    audit: StoreSpec | None = None
    audit_remote: str = "origin"
    state: StoreSpec | None = None
    once: bool = True
    every: float | None = None
    rounds: int | None = None  # --every: stop after this many rounds (None: until SIGTERM)
    repeat_interval: float = 4 * 3600.0
    dry_run: bool = False
    output_format: WatchFormat = "text"
    # Where postmortem drafts go when no GitHub repository and token are at hand (issues otherwise).
    postmortem_out: Path | None = None


@dataclass(frozen=True)
class ServeSettings:
    policies: tuple[Path, ...]
    services: tuple[str, ...]
    metrics: MetricsSettings
    notify: NotifySettings
    model: ModelSettings
    listen: tuple[str, int] = ("127.0.0.1", 9095)
    audit: StoreSpec | None = None
    audit_remote: str = "origin"
    state: StoreSpec | None = None
    queue_size: int = 100
    workers: int = 4
    dry_run: bool = False
