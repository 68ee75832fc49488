"""The `slo-gate` command line: one module per command family, all registered on `main`.

Each command parses options into typed settings (gate/settings.py), calls the composition root
(gate/compose.py) and maps the result to an exit code; see gate/cli/root.py for the error mapping.
"""

from gate.cli import audit, gate_commands, importer, objective, postmortem, report, rules, serve, watch
from gate.cli.root import main

__all__ = [
    "audit",
    "gate_commands",
    "importer",
    "main",
    "objective",
    "postmortem",
    "report",
    "rules",
    "serve",
    "watch",
]
