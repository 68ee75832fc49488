"""`slo-gate validate --prometheus-url`: ask the metrics server whether it accepts every SLI query.

In: loaded policies and a `MetricsSource` (the client `check` uses: its deadline, retries, tenant
header and secret masking). Out: one `PolicyError` per query the server rejects as bad input
(`bad_data`: a parse or type error, an unknown function, syntax the server's version lacks), at the
query's line and field in its policy file, with Prometheus' position mapped back to the query's own
text. Each query is sent on its own (so every rejected query is reported, not only the first),
rendered for a 5m window inside the same wrapper `check` puts around it, as one instant query at `at`:
a few minutes of samples, never the SLO window. A server that cannot answer (connection, deadline,
5xx, an execution error) raises its `DataError`: that is not the policy's fault and is never reported
as if it were. Offline checks (schema, PromQL grammar) happen when the policies are loaded.
"""

from __future__ import annotations

from collections.abc import Sequence

from gate import promql
from gate.errors import DataError, PolicyError, PolicyErrors
from gate.metrics import MetricsSource
from gate.policy import LoadedPolicy
from gate.policy_yaml import LineMap, line_for, parse_yaml

__all__ = ["CHECK_WINDOW", "server_check"]

CHECK_WINDOW = promql.WindowSpec("5m", "5m", 300.0)
_BAD_DATA = "bad_data: "


def _lines(loaded: LoadedPolicy) -> LineMap:
    if not loaded.source:
        return {}
    try:
        return parse_yaml(loaded.source.encode("utf-8"), loaded.path).lines
    except PolicyErrors:  # it loaded from this text once; a line number is only a courtesy
        return {}


def _rejection(batch: promql.Batch, exc: DataError) -> str | None:
    """What the server said was wrong with the query, or None when the failure is not the query's."""
    fault = promql.locate_error(batch, exc.message)
    if fault is not None:
        if fault.where is None:
            return f"Prometheus rejected it: {fault.message} (in the sum(...) slo-gate puts around the query)"
        return f"Prometheus rejected it: parse error at {fault.where}: {fault.message}"
    index = exc.message.find(_BAD_DATA)
    if index < 0:
        return None
    return f"Prometheus rejected it: {exc.message[index + len(_BAD_DATA) :]}"


def server_check(policies: Sequence[LoadedPolicy], source: MetricsSource, at: float) -> list[PolicyError]:
    """Every SLI query the server rejects, as FILE:LINE: slos[i].sli.FIELD: message."""
    errors: list[PolicyError] = []
    for loaded in policies:
        lines = _lines(loaded)
        tenant = loaded.policy.prometheus.tenant
        for index, slo in enumerate(loaded.policy.slos):
            queries = (
                ("bad", slo.sli.error_query),
                ("good", slo.sli.good_query),
                ("total", slo.sli.total_query),
            )
            for kind in [kind for kind, query in queries if query is not None]:
                batch = promql.batch(slo.sli, [CHECK_WINDOW], kinds=(kind,))
                try:
                    source.instant(batch.text, at, tenant=tenant)
                except DataError as exc:
                    message = _rejection(batch, exc)
                    if message is None:
                        raise
                    field = promql.QUERY_FIELDS[kind]
                    path = ("slos", index, "sli", field)
                    errors.append(
                        PolicyError(loaded.path, line_for(lines, path), f"slos[{index}].sli.{field}", message)
                    )
    return errors
