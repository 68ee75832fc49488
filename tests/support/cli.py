"""The one way tests run the CLI: the real `slo-gate` entry point, in process, through click's runner.

`sleep` replaces the retry back-off sleep of every client the composition root builds, so a test of
retries never waits; it receives each wait in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from unittest import mock

from click.testing import CliRunner, Result

from gate import compose
from gate.cli import main


def run_cli(
    *args: str,
    stdin: str | None = None,
    env: Mapping[str, str | None] | None = None,
    catch_exceptions: bool = False,
    sleep: Callable[[float], None] | None = None,
) -> Result:
    """`slo-gate ARGS...`; exceptions other than SystemExit propagate unless `catch_exceptions`."""
    with mock.patch.object(compose, "default_sleep", sleep or compose.default_sleep):
        return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=catch_exceptions)
