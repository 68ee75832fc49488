"""PURE: a policy's Prometheus recording and alerting rules, in the contract of gate/recording.py.

In: a validated `Policy` and `RuleOptions`. Out: one `Group` per SLO (recordings first, in the order
they depend on each other, then the alerts), each rule a `Rule` with the comment that explains it.
No file, clock or network.

What the alerts promise: the page and ticket alerts fire at an evaluation time T exactly when
`slo-gate check --at T` reports that alert for the SLO. They compare the same numbers: the burn-window
ratios are recorded from the policy's own queries over each window (the ratio the gate computes, the
same IEEE division), divided by the same error budget and compared with the same thresholds (DESIGN
§3, scaled for the SLO window; for a calendar window the period's length is computed at evaluation
time from the UTC calendar, as the gate does), all printed as the shortest text that reads back as the
very same double. A window without traffic records NaN and fires nothing, as the gate reports no burn.
Maintenance windows (`adjustments:`) are not in the rules: silence them in Alertmanager.

The SLO window is a ratio of sums of events: the 5-minute error and event rates are recorded at every
evaluation and summed over the window, so a quiet night weighs what its traffic weighs. (Sloth's
default averages the 5-minute *ratios*, which weighs a quiet hour like a busy one.) A calendar window
has no such recording: a recording rule's range is fixed, and a month is not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gate import recording as rec
from gate.budget import ALERT_RULES, AlertRule, error_budget
from gate.models import BURN_WINDOWS, Alert
from gate.policy import SLO, CalendarWindow, Policy, parse_duration
from gate.promql import render, uses_increase

__all__ = ["ALERT_NAME", "Group", "Rule", "RuleOptions", "policy_groups", "slo_group"]

ALERT_NAME = "SloGateErrorBudgetBurn"
DOCS_URL = "https://github.com/org/slo-gate/blob/main/docs/rules.md"


@dataclass(frozen=True)
class RuleOptions:
    """How to write the rules: Sloth's labels too (`compat_sloth`), the groups' evaluation interval,
    and the runbook the alerts link to."""

    compat_sloth: bool = False
    interval: str = "1m"
    runbook_url: str = DOCS_URL

    @property
    def interval_seconds(self) -> float:
        return parse_duration(self.interval)


@dataclass(frozen=True)
class Rule:
    """One recording (`record`) or alerting (`alert`) rule; `comment` is written above it."""

    expr: str
    labels: Mapping[str, str]
    record: str | None = None
    alert: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    comment: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.record is not None:
            out["record"] = self.record
        if self.alert is not None:
            out["alert"] = self.alert
        out["expr"] = self.expr
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


@dataclass(frozen=True)
class Group:
    name: str
    interval: str
    rules: tuple[Rule, ...]
    comment: str = ""


def _num(value: float) -> str:
    """The shortest decimal text that Prometheus reads back as exactly `value`."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class _Naming:
    """Labels for one SLO: slo-gate's, plus Sloth's with --compat sloth."""

    service: str
    slo: str
    compat: bool

    def base(self) -> dict[str, str]:
        labels = {rec.SERVICE_LABEL: self.service, rec.SLO_LABEL: self.slo}
        if self.compat:
            labels |= {
                "sloth_id": f"{self.service}-{self.slo}",
                "sloth_service": self.service,
                "sloth_slo": self.slo,
            }
        return labels

    def windowed(self, window: str) -> dict[str, str]:
        labels = self.base() | {rec.WINDOW_LABEL: window}
        if self.compat:
            labels["sloth_window"] = window
        return labels

    @property
    def window_labels(self) -> str:
        return f"{rec.WINDOW_LABEL}, sloth_window" if self.compat else rec.WINDOW_LABEL

    def selector(self, window: str | None = None) -> str:
        extra = [(rec.WINDOW_LABEL, window)] if window is not None else []
        return rec.selector(self.service, self.slo, extra)


def _parts(slo: SLO, duration: str) -> tuple[str, str]:
    """(errors, events) as PromQL over `duration`, each collapsed to one series like the gate's batch:
    errors absent while events exist are zero errors; bad = total - good for a good_query."""
    sli = slo.sli
    total = f"sum({render(sli.total_query, duration)})"
    if sli.error_query is not None:
        return f"(sum({render(sli.error_query, duration)}) or vector(0))", total
    assert sli.good_query is not None
    return f"({total} - sum({render(sli.good_query, duration)}))", total


def _days_expr(window: str | CalendarWindow) -> str:
    """The SLO period in days at evaluation time: a constant, or the UTC calendar month/quarter."""
    if isinstance(window, str):
        return _num(parse_duration(window) / 86400)
    if window.calendar == "month":
        return "scalar(days_in_month())"
    year, month = "scalar(year())", "scalar(month())"
    leap = f"({year} % 4 == bool 0) - ({year} % 100 == bool 0) + ({year} % 400 == bool 0)"
    return (
        f"((90 + {leap}) * ({month} <= bool 3) + 91 * ({month} > bool 3) * ({month} <= bool 6)"
        f" + 92 * ({month} > bool 6))"
    )


def _threshold(rule: AlertRule, window: str | CalendarWindow, naming: _Naming) -> str:
    """DESIGN §3's threshold, budget_share × P / long_window, with the gate's operations in its order.
    A calendar period's length is the `slo:time_period:days` recorded just before, at the same time."""
    if isinstance(window, str):
        return _num(rule.threshold(parse_duration(window)))
    long_seconds = _num(parse_duration(rule.long_window))
    days = f"scalar({rec.TIME_PERIOD}{naming.selector()})"
    return f"({_num(rule.budget_share)} * ({days} * 86400) / {long_seconds})"


def _burn_rules(slo: SLO, naming: _Naming) -> list[Rule]:
    rules = []
    for window in BURN_WINDOWS:
        errors, events = _parts(slo, window)
        rules.append(
            Rule(
                record=rec.ratio_name(window),
                expr=f"{errors}\n/\n{events}",
                labels=naming.windowed(window),
                comment=f"Error ratio over {window}: the policy's queries, as the gate reads them.",
            )
        )
    return rules


def _short_rules(slo: SLO, naming: _Naming) -> list[Rule]:
    errors, events = _parts(slo, rec.SHORT_WINDOW)
    scale = f" / {_num(rec.SHORT_SECONDS)}" if uses_increase(slo.sli.total_query) else ""
    why = " (the queries count events: divided by 300 s)" if scale else ""
    return [
        Rule(
            record=rec.ERROR_RATE,
            expr=f"{errors}{scale}",
            labels=naming.windowed(rec.SHORT_WINDOW),
            comment=f"Errors per second over 5m{why}: summed over the SLO window below.",
        ),
        Rule(
            record=rec.TOTAL_RATE,
            expr=f"{events}{scale}",
            labels=naming.windowed(rec.SHORT_WINDOW),
            comment=f"Events per second over 5m{why}: summed over the SLO window below.",
        ),
    ]


def _window_rules(slo: SLO, naming: _Naming, options: RuleOptions) -> list[Rule]:
    """The rolling SLO window from the 5-minute recordings (a ratio of sums), its events and coverage."""
    assert isinstance(slo.window, str)
    window = slo.window
    short = naming.selector(rec.SHORT_WINDOW)
    expected = _num(parse_duration(window) / options.interval_seconds)
    ratio = [] if window in BURN_WINDOWS else [_window_ratio(window, naming, short)]
    return [
        *ratio,
        Rule(
            record=rec.total_rate_name(window),
            expr=f"avg_over_time({rec.TOTAL_RATE}{short}[{window}])",
            labels=naming.windowed(window),
            comment=f"Events per second over the SLO window ({window}); events = value x {window}.",
        ),
        Rule(
            record=rec.coverage_name(window),
            expr=f"count_over_time({rec.TOTAL_RATE}{short}[{window}]) / {expected}",
            labels=naming.windowed(window),
            comment=(
                f"Share of the SLO window covered by 5m recordings ({expected} evaluations every "
                f"{options.interval}); the gate reads raw counters below {rec.MIN_COVERAGE}."
            ),
        ),
    ]


def _window_ratio(window: str, naming: _Naming, short: str) -> Rule:
    """The SLO window's ratio of sums (when the window is also a burn window, that ratio serves)."""
    return Rule(
        record=rec.ratio_name(window),
        expr=(
            f"sum_over_time({rec.ERROR_RATE}{short}[{window}])\n/\n"
            f"sum_over_time({rec.TOTAL_RATE}{short}[{window}])"
        ),
        labels=naming.windowed(window),
        comment=(
            f"Error ratio over the SLO window ({window}): errors summed over the window / events summed "
            "over it. A ratio of sums, not an average of 5m ratios."
        ),
    )


def _meta_rules(slo: SLO, naming: _Naming, options: RuleOptions) -> list[Rule]:
    budget = _num(error_budget(slo.objective))
    info_labels = naming.base() | {
        rec.SLI_LABEL: rec.fingerprint(slo),
        rec.WINDOW_LABEL: slo.window_label,
        rec.OBJECTIVE_LABEL: _num(slo.objective),
    }
    rules = [
        Rule(
            record=rec.INFO,
            expr=f"vector({_num(options.interval_seconds)})",
            labels=info_labels,
            comment="Which definition these rules record (the gate reads them only when it matches); "
            "value: the evaluation interval in seconds.",
        ),
        Rule(record=rec.OBJECTIVE, expr=f"vector({_num(slo.objective / 100)})", labels=naming.base()),
        Rule(record=rec.ERROR_BUDGET, expr=f"vector({budget})", labels=naming.base()),
        Rule(record=rec.TIME_PERIOD, expr=f"vector({_days_expr(slo.window)})", labels=naming.base()),
    ]
    if isinstance(slo.window, str):
        ratio = f"{rec.ratio_name(slo.window)}{naming.selector(slo.window)}"
        rules.append(
            Rule(
                record=rec.REMAINING,
                expr=f"1 - sum without ({naming.window_labels}) ({ratio}) / {budget}",
                labels=naming.base(),
                comment="Budget left over the SLO window (below 0: overspent).",
            )
        )
    if naming.compat:
        rules += _sloth_rules(slo, naming, budget)
    return rules


def _sloth_rules(slo: SLO, naming: _Naming, budget: str) -> list[Rule]:
    """The rest of Sloth's meta series, for dashboards made for Sloth."""
    short = f"{rec.ratio_name(rec.SHORT_WINDOW)}{naming.selector(rec.SHORT_WINDOW)}"
    rules = [
        Rule(
            record="slo:current_burn_rate:ratio",
            expr=f"sum without ({naming.window_labels}) ({short}) / {budget}",
            labels=naming.base(),
        ),
        Rule(
            record="sloth_slo_info",
            expr="vector(1)",
            labels=naming.base() | {"sloth_mode": "cli-gen-prom", "sloth_objective": _num(slo.objective)},
        ),
    ]
    if isinstance(slo.window, str):
        ratio = f"{rec.ratio_name(slo.window)}{naming.selector(slo.window)}"
        rules.insert(
            1,
            Rule(
                record="slo:period_burn_rate:ratio",
                expr=f"sum without ({naming.window_labels}) ({ratio}) / {budget}",
                labels=naming.base(),
            ),
        )
    return rules


def _condition(slo: SLO, naming: _Naming, severity: Alert) -> str:
    budget = _num(error_budget(slo.objective))
    clauses = []
    for rule in (r for r in ALERT_RULES if r.severity == severity):
        threshold = _threshold(rule, slo.window, naming)
        sides = [
            f"max without ({naming.window_labels}) "
            f"({rec.ratio_name(w)}{naming.selector(w)} / {budget} > {threshold})"
            for w in (rule.long_window, rule.short_window)
        ]
        clauses.append("(\n  " + "\n  and\n  ".join(sides) + "\n)")
    return "\nor\n".join(clauses)


def _describe(slo: SLO, severity: Alert) -> str:
    parts = []
    for rule in (r for r in ALERT_RULES if r.severity == severity):
        if isinstance(slo.window, str):
            bound = f"{_num(round(rule.threshold(parse_duration(slo.window)), 4))}x"
        else:
            bound = f"{_num(rule.budget_share * 100)}% of the {slo.window.calendar}'s budget per {rule.long_window}"
        parts.append(f"{rule.long_window} and {rule.short_window} both above {bound}")
    return " or ".join(parts)


def _alert(slo: SLO, naming: _Naming, severity: Alert, options: RuleOptions) -> Rule:
    service, name = naming.service, naming.slo
    labels = naming.base() | {"severity": severity}
    if naming.compat:
        labels["sloth_severity"] = severity
    if isinstance(slo.window, str):
        query = f"{rec.REMAINING}{naming.selector()}"
        left = f"{{{{ with query `{query}` }}}}{{{{ . | first | value | humanizePercentage }}}}{{{{ else }}}}unknown{{{{ end }}}}"
    else:
        left = f"see `slo-gate status --service {service}` (a calendar window has no remaining-budget rule)"
    speed = "fast" if severity == "page" else "slow"
    annotations = {
        "summary": f"{service} {name}: error budget burning {{{{ $value | humanize }}}}x too {speed} ({severity})",
        "description": (
            f"SLO {name} of {service} ({_num(slo.objective)}% over {slo.window_label}) is burning its error "
            f"budget: {_describe(slo, severity)}. slo-gate reports the same {severity} alert for this SLO. "
            f"Look: slo-gate status --service {service}"
        ),
        "budget_left": left,
        "runbook_url": options.runbook_url,
    }
    return Rule(
        alert=ALERT_NAME,
        expr=_condition(slo, naming, severity),
        labels=labels,
        annotations=annotations,
        comment=f"{severity}: the gate's multiwindow {severity} condition for this SLO.",
    )


def slo_group(service: str, slo: SLO, options: RuleOptions) -> Group:
    """Every rule of one SLO, in evaluation order (a rule only reads rules above it)."""
    naming = _Naming(service, slo.name, options.compat_sloth)
    rules = _short_rules(slo, naming) + _burn_rules(slo, naming)
    comment = ""
    if isinstance(slo.window, str):
        rules += _window_rules(slo, naming, options)
    else:
        comment = (
            f"{slo.name} has a calendar window ({slo.window.calendar}): no SLO-window or remaining-budget "
            "recording (a rule's range is fixed, a calendar period's is not); the burn alerts work, their "
            "thresholds use the current period's length."
        )
    rules += _meta_rules(slo, naming, options)
    rules += [_alert(slo, naming, "page", options), _alert(slo, naming, "ticket", options)]
    return Group(f"slo-gate:{service}:{slo.name}", options.interval, tuple(rules), comment)


def policy_groups(policy: Policy, options: RuleOptions) -> list[Group]:
    return [slo_group(policy.service, slo, options) for slo in policy.slos]


def all_groups(policies: Sequence[Policy], options: RuleOptions) -> list[Group]:
    return [group for policy in policies for group in policy_groups(policy, options)]
