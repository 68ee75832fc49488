"""PURE: the ready-to-use policy YAML for a recommendation, checked by the policy loader before it is shown.

In: the target (service, SLO, SLI, window as the policy writes it, tenant) and the recommended
objective, plus a latency SLO (threshold and objective) when one was recommended beside it. Out: the
text of a complete `slo-gate/v1` policy holding those SLOs, which `gate.policy_load.load_policy_bytes`
has accepted (schema and PromQL syntax), so what is pasted is what the gate reads. Only names that
passed the policy's own patterns and queries that passed `check_query` are written; a name that does
not is a UsageError here, before any query is sent. No file, clock or network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from gate.errors import PolicyErrors, UsageError
from gate.objective.target import Target, bound_text
from gate.policy import API_VERSION, SLI, CalendarWindow

__all__ = ["check_names", "policy_block"]


def _sli(sli: SLI) -> dict[str, str]:
    found = {"error_query": sli.error_query, "good_query": sli.good_query, "total_query": sli.total_query}
    return {key: value for key, value in found.items() if value is not None}


def _window(window: str | CalendarWindow) -> Any:
    return window if isinstance(window, str) else {"calendar": window.calendar}


def _slo(target: Target, name: str, sli: SLI, objective: float, description: str) -> dict[str, Any]:
    slo: dict[str, Any] = {"name": name}
    if description:
        slo["description"] = description
    slo["objective"] = objective
    slo["window"] = _window(target.policy_window)
    slo["sli"] = _sli(sli)
    if target.loaded is not None and name == target.slo:
        original = next(s for s in target.loaded.policy.slos if s.name == target.slo)
        if original.min_events:
            slo["min_events"] = original.min_events
        if original.breakdown:
            slo["breakdown"] = list(original.breakdown)
    return slo


def _within(bound: str) -> str:
    return f"Requests served within {bound_text(bound)} (le={bound})"


def _document(target: Target, slos: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {"apiVersion": API_VERSION, "service": target.service}
    if target.tenant:
        document["prometheus"] = {"tenant": target.tenant}
    document["slos"] = list(slos)
    return document


def _dump(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(
        dict(document), sort_keys=False, default_flow_style=False, width=4096, allow_unicode=True
    )


def _check(text: str, where: str) -> None:
    from gate.policy_load import load_policy_bytes

    load_policy_bytes(text.encode("utf-8"), where)


def check_names(service: str, slo: str) -> None:
    """`--service` and `--slo` as a policy would accept them (checked before any query)."""
    probe = {
        "apiVersion": API_VERSION,
        "service": service,
        "slos": [
            {
                "name": slo,
                "objective": 99.0,
                "sli": {"error_query": "x[{{.window}}]", "total_query": "x[{{.window}}]"},
            }
        ],
    }
    try:
        _check(_dump(probe), "--service/--slo")
    except PolicyErrors as exc:
        raise UsageError("; ".join(f"{e.field}: {e.message}" for e in exc.errors)) from None


def policy_block(
    target: Target,
    objective: float | None,
    sli: SLI | None,
    *,
    latency: tuple[SLI, float, str] | None = None,
) -> str | None:
    """The policy text (None when nothing was recommended). `latency` is (SLI, objective, bound)."""
    slos = []
    if objective is not None and sli is not None:
        slos.append(_slo(target, target.slo, sli, objective, target.description))
    if latency is not None:
        latency_sli, latency_objective, bound = latency
        taken = {s["name"] for s in slos}
        name = "latency" if "latency" not in taken else f"latency-{bound.replace('.', '_')}"
        slos.append(_slo(target, name, latency_sli, latency_objective, _within(bound)))
    if not slos:
        return None
    text = _dump(_document(target, slos))
    _check(text, "the recommended policy")
    return text
