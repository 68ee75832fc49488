"""Where the bad events of a span came from: the top values of each of the SLO's breakdown labels.

One instant query per label at the span's end (gate.promql.breakdown_query, the watcher's too: the
policy's own queries with the label kept, the label name validated, nothing else added). Out: per
label, the values with the most bad events, each with its share of the span's bad events (0-1) and
its count. Label values are untrusted text: they are returned as they are and escaped by each
renderer. A query that fails, or an answer that does not add up, leaves that label out with a note,
never a made-up share.
"""

from __future__ import annotations

from gate import promql
from gate.errors import DataError
from gate.metrics import MetricsSource
from gate.policy import SLO
from gate.postmortem.model import Contributor

__all__ = ["contributors"]

VALUE_MAX = 200  # characters of a label value kept


def contributors(
    slo: SLO, source: MetricsSource, start: float, end: float, tenant: str | None
) -> tuple[dict[str, list[Contributor]], list[str]]:
    found: dict[str, list[Contributor]] = {}
    notes: list[str] = []
    seconds = end - start
    factor = seconds if not promql.uses_increase(slo.sli.total_query) else 1.0
    for label in slo.breakdown:
        try:
            expr = promql.breakdown_query(slo.sli, label, promql.seconds_duration(seconds))
            counts = promql.parse_breakdown(source.instant(expr, end, tenant=tenant), label)
        except ValueError as exc:
            notes.append(f"where by {label}: {exc}")
            continue
        except DataError as exc:
            notes.append(f"where by {label}: the breakdown query failed: {exc.message}")
            continue
        if counts.bad_all <= 0:
            found[label] = []
            continue
        found[label] = [
            Contributor(value=v.value[:VALUE_MAX], share=v.bad / counts.bad_all, errors=v.bad * factor)
            for v in counts.top
        ]
    return found, notes
