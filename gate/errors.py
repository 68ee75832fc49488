"""The GateError tree: every failure is a value with enough context to act on.

The CLI is the only place that turns these into exit codes and GitHub annotations.
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_BAD_INPUT = 2
EXIT_INCONCLUSIVE = 3


class GateError(Exception):
    """Base of every error slo-gate raises on purpose."""

    exit_code: int = EXIT_BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(GateError):
    """Bad command-line input (an option value, a missing file)."""


class PolicyError(GateError):
    """One problem in one policy file, located by line and field."""

    def __init__(self, file: str, line: int | None, field: str, message: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class PolicyErrors(GateError):
    """Every problem found while loading one or more policy files (reported together)."""

    def __init__(self, errors: Sequence[PolicyError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class DataError(GateError):
    """Metrics could not be trusted: the affected SLO becomes inconclusive, never silently healthy."""

    def __init__(self, message: str, *, query: str | None = None, slo: str | None = None) -> None:
        self.query = query
        self.slo = slo
        super().__init__(message)

    def __str__(self) -> str:
        parts = []
        if self.slo:
            parts.append(f"SLO {self.slo}")
        parts.append(self.message)
        text = ": ".join(parts)
        if self.query:
            text += f" (query: {self.query})"
        return text


class ExternalError(GateError):
    """A service slo-gate depends on (git, an HTTP API) failed in a way that is not about metrics."""

    exit_code = EXIT_FAIL


class AuditError(GateError):
    """The audit log could not be written or read (git refused a push, a file is not writable)."""

    exit_code = EXIT_FAIL
