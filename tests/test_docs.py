"""Every command, option and environment variable the CLI has is documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from gate.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def commands() -> list[tuple[str, click.Command]]:
    assert isinstance(main, click.Group)
    return sorted(main.commands.items())


@pytest.mark.parametrize(("name", "command"), commands())
def test_command_is_documented(name: str, command: click.Command) -> None:
    assert f"### `slo-gate {name}" in README, f"README has no section for `slo-gate {name}`"
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert f"`{opt}" in README, f"{name} {opt} is not in the README"
            envvar = param.envvar
            if isinstance(envvar, str):
                assert envvar in README, f"{name} {param.opts[0]}: {envvar} is not in the README"


def test_every_slo_gate_variable_the_code_reads_is_documented() -> None:
    source = "".join(p.read_text() for p in (Path(__file__).resolve().parent.parent / "gate").rglob("*.py"))
    for variable in sorted(set(re.findall(r"SLO_GATE_[A-Z_]+", source))):
        assert variable in README, f"{variable} is read by gate/ but not documented"


def test_readme_starts_with_the_two_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    assert "slo-gate demo" in blocks[0]
    assert blocks[1].strip() == "bash scripts/test.sh"
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci.splitlines()[-1]
