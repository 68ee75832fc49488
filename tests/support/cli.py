"""The one way tests run the CLI: the real `slo-gate` entry point, in process, through click's runner.

A test of retries makes them instant with tests/support/httpstub.py's `record_waits(monkeypatch)`,
which every client the composition root builds honours.
"""

from __future__ import annotations

from collections.abc import Mapping

from click.testing import CliRunner, Result

from gate.cli import main


def run_cli(
    *args: str,
    stdin: str | None = None,
    env: Mapping[str, str | None] | None = None,
    catch_exceptions: bool = False,
) -> Result:
    """`slo-gate ARGS...`; exceptions other than SystemExit propagate unless `catch_exceptions`."""
    return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=catch_exceptions)
