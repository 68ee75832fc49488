"""The `slo-gate` group: turns GateError into a clear message and its exit code; nothing else is caught.

Commands parse options into typed settings (gate/settings.py), call the composition root
(gate/compose.py) and print its result. Heavy modules (pydantic models, httpx, the SDK) are imported
inside the commands so `slo-gate --help` stays fast.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from gate import __version__

if TYPE_CHECKING:
    from gate.compose import CommandResult, Runtime

__all__ = [
    "CPYTHON_GC_THRESHOLDS",
    "GC_THRESHOLDS",
    "emit",
    "finish",
    "long_running",
    "main",
    "runtime",
    "warn",
]

GC_THRESHOLDS = (100_000, 20, 10)  # a one-shot command's (see `main`)
CPYTHON_GC_THRESHOLDS = gc.get_threshold()


def long_running() -> None:
    """For a process that runs round after round (`watch --every`, `serve`): collect cycles as
    often as CPython does by default, so memory stays flat over thousands of rounds
    (bench/watch_round.py --part rss grew 18 MB in 500 rounds at GC_THRESHOLDS, under 1 MB here)."""
    gc.set_threshold(*CPYTHON_GC_THRESHOLDS)


class GateGroup(click.Group):
    """Maps GateError to its message and exit code (policy errors also as Actions annotations)."""

    def invoke(self, ctx: click.Context) -> Any:
        from gate.errors import GateError, PolicyErrors

        try:
            return super().invoke(ctx)
        except PolicyErrors as exc:
            from gate.github.context import in_github_actions
            from gate.report import clean  # only now: it loads the report models

            in_actions = in_github_actions(os.environ)
            for error in exc.errors:
                click.echo(f"slo-gate: {clean(str(error), 2000)}", err=True)
                if in_actions:  # an annotation on the policy file's line in the PR's Files view
                    from gate.github.actions import error_annotation

                    click.echo(
                        error_annotation(
                            f"{error.field}: {error.message}" if error.field else error.message,
                            file=error.file,
                            line=error.line,
                            title="slo-gate policy",
                        ),
                        nl=False,
                    )
            ctx.exit(exc.exit_code)
        except GateError as exc:
            from gate.report import clean

            click.echo(f"slo-gate: error: {clean(str(exc), 2000)}", err=True)
            ctx.exit(exc.exit_code)


@click.group(
    cls=GateGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="slo-gate")
@click.pass_context
def main(ctx: click.Context) -> None:
    """slo-gate: SLO error budgets as a deploy gate.

    Reads each service's policy, measures remaining error budget and burn rates from Prometheus,
    classifies the change's risk and passes or fails by the policy's budget tiers.

    Exit codes: 0 pass or warn, 1 fail, 2 bad input or policy, 3 inconclusive under on_inconclusive: fail.
    """
    # slo-gate installs no pydantic plugins; without this, pydantic scans every installed package's
    # entry points when it builds the first validator (tens of ms of start-up). Setting the variable
    # to anything else (even empty) turns the scan back on.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # A run allocates in bursts (policies, answers, reports) and frees little before it ends; at the
    # default thresholds (700, 10, 10) the cycle collector took 5-8 % of a gate run's time.
    # Long-running commands go back to the defaults (`long_running`).
    gc.set_threshold(*GC_THRESHOLDS)
    if ctx.invoked_subcommand is None:  # bare `slo-gate`: the help, and success
        click.echo(ctx.get_help())


def emit(text: str) -> None:
    click.echo(text, nl=not text.endswith("\n"))


def warn(message: str) -> None:
    click.echo(f"slo-gate: warning: {message}", err=True)


@contextmanager
def runtime() -> Iterator[Runtime]:
    """The composition root for this process; early output (masks) goes straight to stdout."""
    from gate.compose import Runtime

    rt = Runtime(os.environ, say=lambda text: click.echo(text, nl=False), warn=warn)
    try:
        yield rt
    finally:
        rt.close()


def finish(result: CommandResult) -> None:
    emit(result.text)
    sys.exit(result.exit_code)
