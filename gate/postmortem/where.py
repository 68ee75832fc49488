"""Where the bad events of a span came from: the top values of each of the SLO's breakdown labels.

One instant query per label at the span's end (gate.promql.breakdown_query: the policy's own error
query summed by the label over the span; the label name is validated, nothing else is added). Out:
per label, the values with the most bad events, each with its share of the span's bad events (0-1)
and its count. Label values are untrusted text: they are returned as they are and escaped by each
renderer. A query that fails leaves that label out with a note, never a made-up share.
"""

from __future__ import annotations

from gate import promql
from gate.errors import DataError
from gate.metrics import MetricsSource
from gate.policy import SLO
from gate.postmortem.model import Contributor

__all__ = ["TOP", "contributors"]

TOP = 5
VALUE_MAX = 200  # characters of a label value kept


def contributors(
    slo: SLO, source: MetricsSource, start: float, end: float, tenant: str | None, *, top: int = TOP
) -> tuple[dict[str, list[Contributor]], list[str]]:
    found: dict[str, list[Contributor]] = {}
    notes: list[str] = []
    seconds = end - start
    factor = seconds if not promql.uses_increase(slo.sli.total_query) else 1.0
    for label in slo.breakdown:
        expr = promql.breakdown_query(slo.sli, label, promql.seconds_duration(seconds))
        try:
            samples = source.instant(expr, end, tenant=tenant)
        except DataError as exc:
            notes.append(f"where by {label}: the breakdown query failed: {exc.message}")
            continue
        by_value: dict[str, float] = {}
        for sample in samples:
            if sample.value > 0:
                value = sample.labels.get(label, "")[:VALUE_MAX]
                by_value[value] = by_value.get(value, 0.0) + sample.value
        whole = sum(by_value.values())
        if whole <= 0:
            found[label] = []
            continue
        ranked = sorted(by_value.items(), key=lambda item: (-item[1], item[0]))[:top]
        found[label] = [Contributor(value=v, share=n / whole, errors=n * factor) for v, n in ranked]
    return found, notes
