"""Every command, option and environment variable the CLI has is documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from gate.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def commands() -> list[tuple[str, click.Command]]:
    """Every command, subcommands of groups included (as `audit verify`)."""
    assert isinstance(main, click.Group)
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(main.commands.items()):
        found.append((name, command))
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", subcommand) for sub, subcommand in sorted(command.commands.items())]
    return found


def test_audit_subcommands_are_walked() -> None:
    assert {"audit verify", "audit log", "audit replay", "audit settle", "audit report"} <= {
        n for n, _ in commands()
    }


@pytest.mark.parametrize(("name", "command"), commands())
def test_command_is_documented(name: str, command: click.Command) -> None:
    group, _, sub = name.partition(" ")
    assert f"### `slo-gate {group}" in README, f"README has no section for `slo-gate {group}`"
    if sub:
        assert f"`slo-gate {group} {sub}" in README or f"{group} {sub}" in README, (
            f"`slo-gate {name}` is not in the README"
        )
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
