"""In-memory policies over the scenario data, for tests that measure one scenario at a time."""

from __future__ import annotations

from typing import Any

from gate.policy import LoadedPolicy, Policy

ERRORS = 'sum(rate(http_requests_total{{job="{job}",code=~"5.."}}[{{{{.window}}}}]))'
TOTAL = 'sum(rate(http_requests_total{{job="{job}"}}[{{{{.window}}}}]))'


def scenario_policy(
    job: str,
    *,
    window: Any = "30d",
    min_events: int = 0,
    objective: float = 99.9,
    sli: dict[str, str] | None = None,
) -> LoadedPolicy:
    """One availability SLO (or the given SLI) on the scenario `job`, as if loaded from `<job>.yaml`."""
    spec = {
        "apiVersion": "slo-gate/v1",
        "service": job,
        "slos": [
            {
                "name": "availability",
                "objective": objective,
                "window": window,
                "min_events": min_events,
                "sli": sli or {"error_query": ERRORS.format(job=job), "total_query": TOTAL.format(job=job)},
            }
        ],
    }
    return LoadedPolicy(policy=Policy.model_validate(spec), path=f"{job}.yaml", sha256="0" * 64)
