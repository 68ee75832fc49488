"""`slo-gate import`: options in, typed settings out; gate/importers/command.py converts and writes."""

from __future__ import annotations

from pathlib import Path

import click

from gate.cli.options import gate_defaults_option
from gate.cli.root import finish, main


@main.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Write one <service>.yaml per service into DIR (it must exist). Default: stdout, for one policy.",
)
@gate_defaults_option
def import_specs(files: tuple[Path, ...], out: Path | None) -> None:
    """Convert Sloth, OpenSLO and Pyrra specs into slo-gate policies (one per service), refusing, with
    FILE:LINE: field: why and what to do, anything slo-gate cannot express exactly."""
    from gate.importers.command import ImportSettings, run_import

    finish(run_import(ImportSettings(files, out)))
