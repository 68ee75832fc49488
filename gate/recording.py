"""PURE: the recorded-series contract between `slo-gate rules`, which writes it, and the gate's recorded
reads, which read it: series names, their labels, and the fingerprint of the SLO definition they record.

Every series carries `slo_gate_service` and `slo_gate_slo`; the windowed recordings also carry
`slo_gate_window`. Names (a stable contract; `serve` and dashboards read them too):

- `slo:sli_error:ratio_rate<w>`: the error ratio over `w`. For the burn windows (5m … 3d) it is the
  policy's own queries over `w`, exactly the ratio the gate computes; for a rolling SLO window it is the
  ratio of the sums of the 5-minute recordings below over the window (a ratio of sums of events).
- `slo:sli_error:rate5m`, `slo:sli_total:rate5m`: errors and events per second over the last 5 minutes,
  recorded at every evaluation: the short-interval counts the SLO window is summed from.
- `slo:sli_total:rate<P>`: events per second over the SLO window `P` (events = value × P).
- `slo:sli_coverage:ratio<P>`: how much of `P` the 5-minute recordings cover (1 when the rules have run
  for the whole window at their interval; lower when they were deployed recently or had gaps).
- `slo_gate_slo_info`: value = the rules' evaluation interval in seconds; labels identify the definition
  they were generated from (`slo_gate_sli`: `fingerprint()`, `slo_gate_window`, `slo_gate_objective`).
- `slo:objective:ratio`, `slo:error_budget:ratio`, `slo:time_period:days`,
  `slo:period_error_budget_remaining:ratio`: Sloth's names for the same facts.

Label values in a selector come only from validated policy names (service and SLO names match
`[A-Za-z0-9][A-Za-z0-9_.-]*`); anything else is refused here, never quoted into PromQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Final

from gate.policy import SLI, SLO

__all__ = [
    "ERROR_RATE",
    "INFO",
    "MIN_COVERAGE",
    "SERVICE_LABEL",
    "SHORT_WINDOW",
    "SLI_LABEL",
    "SLO_LABEL",
    "TOTAL_RATE",
    "WINDOW_LABEL",
    "coverage_name",
    "fingerprint",
    "ratio_name",
    "selector",
    "selectors",
    "slo_names",
    "total_rate_name",
]

SERVICE_LABEL: Final = "slo_gate_service"
SLO_LABEL: Final = "slo_gate_slo"
WINDOW_LABEL: Final = "slo_gate_window"
SLI_LABEL: Final = "slo_gate_sli"
OBJECTIVE_LABEL: Final = "slo_gate_objective"
INFO: Final = "slo_gate_slo_info"
SHORT_WINDOW: Final = "5m"
SHORT_SECONDS: Final = 300.0
ERROR_RATE: Final = "slo:sli_error:rate5m"
TOTAL_RATE: Final = "slo:sli_total:rate5m"
OBJECTIVE: Final = "slo:objective:ratio"
ERROR_BUDGET: Final = "slo:error_budget:ratio"
TIME_PERIOD: Final = "slo:time_period:days"
REMAINING: Final = "slo:period_error_budget_remaining:ratio"
# A recording that covers less of the SLO window than this is not read: the rules have not run long
# enough (or had long gaps), and an average over part of the window is not the window's ratio.
MIN_COVERAGE: Final = 0.99

_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_WINDOW = re.compile(r"[0-9a-z]{1,40}")


def _window(window: str) -> str:
    if not _WINDOW.fullmatch(window):
        raise ValueError(f"window {window!r} cannot be part of a series name")
    return window


def ratio_name(window: str) -> str:
    return f"slo:sli_error:ratio_rate{_window(window)}"


def total_rate_name(window: str) -> str:
    return f"slo:sli_total:rate{_window(window)}"


def coverage_name(window: str) -> str:
    return f"slo:sli_coverage:ratio{_window(window)}"


def selector(service: str, slo: str, extra: Sequence[tuple[str, str]] = ()) -> str:
    """`{slo_gate_service="s",slo_gate_slo="n",...}` from validated names only (ValueError otherwise)."""
    pairs = [(SERVICE_LABEL, service), (SLO_LABEL, slo), *extra]
    for name, value in pairs:
        if not _VALUE.fullmatch(value) or not re.fullmatch(r"[a-z_]+", name):
            raise ValueError(f"{name}={value!r} cannot be part of a selector")
    return "{" + ",".join(f'{name}="{value}"' for name, value in pairs) + "}"


def selectors(service: str, slos: Sequence[str]) -> str:
    """`{slo_gate_service="s",slo_gate_slo=~"a|b"}` for several SLOs of a service (`selector` for one);
    `slo_names` reads the names back."""
    if len(slos) == 1:
        return selector(service, slos[0])
    for name in slos:
        selector(service, name)  # the same validation
    pattern = "|".join(name.replace(".", "\\\\.") for name in slos)
    return f'{{{SERVICE_LABEL}="{service}",{SLO_LABEL}=~"{pattern}"}}'


_NAMES = re.compile(r'slo_gate_slo(=~?)"([A-Za-z0-9_.\\|-]{1,20000})"')


def slo_names(expr: str) -> set[str]:
    """The SLO names a query's `selector`/`selectors` name (what a recorded read read)."""
    found: set[str] = set()
    for operator, value in _NAMES.findall(expr):
        names = value.split("|") if operator == "=~" else [value]
        found.update(name.replace("\\\\.", ".") for name in names)
    return found


def fingerprint(slo: SLO) -> str:
    """What the recorded series of `slo` depend on (its queries and window), as 16 hex digits: rules
    generated from another definition carry another fingerprint, and their series are not read."""
    sli: SLI = slo.sli
    basis = {
        "error_query": sli.error_query,
        "good_query": sli.good_query,
        "total_query": sli.total_query,
        "window": slo.window_label,
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode("utf-8")).hexdigest()[:16]
