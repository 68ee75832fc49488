"""Typed settings: what the user asked for on the command line (or in SLO_GATE_* variables), checked.

The CLI parses options into these frozen objects and hands them to the composition root
(gate/compose.py); nothing else reads options. Checks that need no network run here, before any
query is sent: an evaluation time outside 1970..9999, an output file whose folder does not exist,
an audit spec that names no sink. Secrets are never settings: the composition root reads them from
the environment (never from argv), so a settings object can be printed safely.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gate.change import ChangeRequest
from gate.errors import UsageError
from gate.times import parse_time

__all__ = [
    "AuditSettings",
    "CheckSettings",
    "MetricsSettings",
    "Mode",
    "ModelSettings",
    "NotifySettings",
    "OutputFormat",
    "Risk",
    "StatusSettings",
    "at_option",
    "writable_file",
]

OutputFormat = Literal["text", "json", "markdown"]
Risk = Literal["low", "medium", "high"]
Mode = Literal["enforce", "advisory"]


def writable_file(path: Path | None, option: str) -> Path | None:
    """`path` when a file can be written there; else a UsageError naming the option, before any work."""
    if path is None:
        return None
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder; give a file name")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: the folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{option} {path}: the file is not writable")
    return path


def at_option(text: str | None, option: str = "--at") -> float | None:
    """An evaluation time from RFC 3339 or unix seconds, range-checked; None when not given."""
    if text is None or not text.strip():
        return None
    try:
        return parse_time(text, option)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


@dataclass(frozen=True)
class MetricsSettings:
    """Where metrics come from and when they are read (check, status, audit settle)."""

    prometheus_url: str | None = None
    headers: tuple[str, ...] = ()  # 'Name: value' lines from --prometheus-header
    timeout: float = 120.0
    concurrency: int = 8
    at: float | None = None
    snapshot: Path | None = None
    record_snapshot: Path | None = None
    use_recorded: bool = False  # read the series `slo-gate rules` records, where they exist

    @classmethod
    def from_options(
        cls,
        *,
        prometheus_url: str | None,
        headers: Sequence[str],
        timeout: float,
        concurrency: int,
        at_text: str | None,
        snapshot: Path | None,
        record_snapshot: Path | None,
        use_recorded: bool = False,
    ) -> MetricsSettings:
        return cls(
            prometheus_url=prometheus_url or None,
            headers=tuple(headers),
            timeout=timeout,
            concurrency=concurrency,
            at=at_option(at_text),
            snapshot=snapshot,
            record_snapshot=writable_file(record_snapshot, "--record-snapshot"),
            use_recorded=use_recorded,
        )


@dataclass(frozen=True)
class ModelSettings:
    enabled: bool = True  # False: --no-llm
    timeout: float = 60.0


@dataclass(frozen=True)
class AuditSettings:
    """`--audit` (none | git | git:BRANCH | file:PATH; None: the default for where we run) and the remote."""

    spec: str | None = None
    remote: str = "origin"

    @classmethod
    def from_options(cls, audit: str | None, branch: str | None, remote: str) -> AuditSettings:
        if branch is not None:
            if audit is not None:
                raise UsageError("give either --audit or --audit-branch, not both")
            audit = "none" if branch == "none" else f"git:{branch}"
        if audit is not None:
            kind, _, arg = audit.partition(":")
            if not ((kind in ("none", "git") and not arg) or (kind in ("git", "file") and arg)):
                raise UsageError(f"--audit {audit!r}: expected none, git, git:BRANCH or file:PATH")
        return cls(spec=audit, remote=remote)


@dataclass(frozen=True)
class NotifySettings:
    """Where notifications go. The URLs are credentials: kept out of reprs."""

    slack_webhook_url: str | None = field(default=None, repr=False)
    slack_channel: str | None = None
    notify_webhook: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    @property
    def any(self) -> bool:
        return bool(self.slack_webhook_url or self.slack_channel or self.notify_webhook)


@dataclass(frozen=True)
class StatusSettings:
    policies: tuple[Path, ...]
    services: tuple[str, ...]
    metrics: MetricsSettings
    output_format: OutputFormat = "text"


@dataclass(frozen=True)
class CheckSettings:
    policies: tuple[Path, ...]
    services: tuple[str, ...]
    metrics: MetricsSettings
    change: ChangeRequest = field(default_factory=ChangeRequest)
    declared_risk: Risk | None = None
    mode: Mode | None = None
    output_format: OutputFormat = "text"
    report_file: Path | None = None
    model: ModelSettings = field(default_factory=ModelSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    comment: bool = True
