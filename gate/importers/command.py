"""`slo-gate import FILE…`: Sloth, OpenSLO and Pyrra specs as slo-gate policies, one per service.

In: typed settings from gate/cli/importer.py (the `--gate-defaults` overlay comes through
gate.policy_load.gate_defaults_file). Out: a `CommandResult`: the policy on stdout when there is one
and no `--out`, else one `<service>.yaml` per service in the `--out` folder. Every refusal of every
file is reported at once (exit 2, `FILE:LINE: field: why, and what to do`). Services spread over
several files become one policy; a file in `--out` that `slo-gate import` did not write is never
overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gate.compose import CommandResult
from gate.errors import PolicyError, PolicyErrors, UsageError
from gate.importers.convert import Imported, convert_file, is_foreign
from gate.importers.render import policy_yaml
from gate.policy import Policy
from gate.policy_load import LocalTree, read_gate_defaults

__all__ = ["ImportSettings", "run_import"]

HEADER = "# Imported by `slo-gate import`"


@dataclass(frozen=True)
class ImportSettings:
    files: tuple[Path, ...]
    out: Path | None = None


def _read(files: Sequence[Path]) -> list[Imported]:
    tree = LocalTree()
    overlay = read_gate_defaults(tree)
    found: list[Imported] = []
    errors: list[PolicyError] = []
    for file in files:
        path = str(file)
        try:
            data = tree.read(path)
            if not is_foreign(data):
                raise PolicyErrors(
                    [
                        PolicyError(
                            path,
                            None,
                            "",
                            "not a Sloth (version: prometheus/v1, sloth.slok.dev/v1), OpenSLO (openslo/v1, "
                            "openslo/v1alpha) or Pyrra (pyrra.dev/v1alpha1) spec; a slo-gate policy needs no import",
                        )
                    ]
                )
            found += convert_file(data, path, overlay)
        except PolicyErrors as exc:
            errors += exc.errors
    if errors:
        raise PolicyErrors(errors)
    return found


def _merged(items: Sequence[Imported]) -> tuple[Policy, str]:
    """One policy from a service's imports in several files (their SLOs side by side)."""
    if len(items) == 1:
        return items[0].policy, items[0].text
    from gate.policy_load import validate_policy_data

    first = items[0]
    data = first.policy.model_dump(mode="json", by_alias=True)
    data["slos"] = [slo.model_dump(mode="json") for item in items for slo in item.policy.slos]
    seen: dict[str, str] = {}
    for item in items:
        for slo in item.policy.slos:
            if slo.name in seen:
                raise PolicyErrors(
                    [
                        PolicyError(
                            item.path,
                            None,
                            "",
                            f"service {first.policy.service!r}: SLO {slo.name!r} is also in {seen[slo.name]}; "
                            "rename one of them",
                        )
                    ]
                )
            seen[slo.name] = item.path
    policy = validate_policy_data(data, {}, first.path)
    header = [
        line[2:] for item in items for line in item.text.splitlines() if line.startswith("# Imported by")
    ]
    header += [line[2:] for line in first.text.splitlines()[1:] if line.startswith("# ")]
    return policy, policy_yaml(policy, header)


def run_import(settings: ImportSettings) -> CommandResult:
    out = settings.out
    if out is not None and not out.is_dir():
        raise UsageError(f"--out {out}: not a folder (it must exist)")
    by_service: dict[str, list[Imported]] = {}
    for item in _read(settings.files):
        by_service.setdefault(item.policy.service, []).append(item)
    texts = {service: _merged(items)[1] for service, items in by_service.items()}
    if out is None:
        if len(texts) != 1:
            names = ", ".join(sorted(texts))
            raise UsageError(
                f"{len(texts)} policies (services {names}): give --out DIR to write one file each"
            )
        return CommandResult(next(iter(texts.values())), 0)
    lines = []
    for service, text in texts.items():
        target = out / f"{service}.yaml"
        if target.exists() and not target.read_text(encoding="utf-8", errors="replace").startswith(HEADER):
            raise UsageError(
                f"--out {out}: {target.name} exists and was not written by `slo-gate import`; move it first"
            )
        try:
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--out {target}: {exc.strerror or exc}") from None
        slos = (
            len(by_service[service][0].policy.slos)
            if len(by_service[service]) == 1
            else sum(len(i.policy.slos) for i in by_service[service])
        )
        lines.append(f"wrote {target} (service {service}, {slos} SLOs)")
    return CommandResult("\n".join(lines) + "\n", 0)
