"""PURE: an imported policy as slo-gate YAML: a header naming its source, then the whole policy with the
gate settings written out (defaults included), so a team reads and edits every setting in one place.

The text is also what a run that reads the spec directly records as the policy's source (the audit log
replays a decision from it), so the same spec and defaults always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gate.export.render import dump_yaml
from gate.policy import Policy

__all__ = ["policy_yaml"]

_ORDER = (
    "apiVersion",
    "service",
    "description",
    "paths",
    "prometheus",
    "slos",
    "adjustments",
    "gate",
    "audit",
)


def _slo(data: dict[str, Any]) -> dict[str, Any]:
    """An SLO as a person would write it: no empty description, zero min_events, empty breakdown, or
    `recorded: false`."""
    out = {k: v for k, v in data.items() if not (k == "description" and v == "")}
    if out.get("min_events") == 0:
        out.pop("min_events")
    if out.get("breakdown") == []:
        out.pop("breakdown")
    sli = dict(out["sli"])
    if sli.get("recorded") is False:
        sli.pop("recorded")
    out["sli"] = {k: v for k, v in sli.items() if v is not None}
    return out


def policy_yaml(policy: Policy, header: Sequence[str]) -> str:
    data = policy.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["slos"] = [_slo(slo) for slo in data["slos"]]
    if not data.get("description"):
        data.pop("description", None)
    for key in ("paths", "adjustments"):
        if not data.get(key):
            data.pop(key, None)
    if data.get("prometheus") == {}:
        data.pop("prometheus")
    ordered = {key: data[key] for key in _ORDER if key in data}
    body = dump_yaml(ordered)
    lines = [f"# {line}".rstrip() for text in header for line in text.splitlines()]
    return "\n".join(lines) + "\n" + body
