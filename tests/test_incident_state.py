"""The incident state machine (gate.incident.state): one notification per transition, never two."""

from __future__ import annotations

import pytest

from gate.incident.model import Observation
from gate.incident.state import (
    DEFAULT_LEASE,
    DEFAULT_REPEAT,
    Pending,
    SinkResult,
    WatchState,
    plan,
    settle,
)
from gate.models import SLOBudget

T0 = 1_793_700_000.0
SINKS = ("slack", "webhook")


def obs(
    alert: str = "page", *, status: str = "ok", slo: str = "availability", service: str = "orders"
) -> Observation:
    budget = SLOBudget(
        name=slo,
        objective=99.9,
        window="7d",
        window_seconds=7 * 86400.0,
        budget_remaining=0.6,
        burn_rates={"5m": 20.0, "1h": 20.0},
        alert=alert,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        reason=None if status == "ok" else "no data",
    )
    return Observation(service=service, slo=slo, policy=f"{service}.yaml", budget=budget)


def run(
    state: WatchState, observation: Observation, at: float, owner: str = "a"
) -> tuple[WatchState, list[str]]:
    """One round that delivers everything it claims."""
    planned = plan(state, [observation], now=at, owner=owner, sinks=SINKS, services=["orders"])
    results = {
        c.key: {s: SinkResult(ref={"channel": "C1", "ts": "1.1"}) for s in c.sinks} for c in planned.claims
    }
    return settle(planned.state, owner, results, now=at), [c.event for c in planned.claims]


def test_a_new_burn_is_told_once_then_only_after_the_repeat_interval() -> None:
    state, events = run(WatchState(), obs("page"), T0)
    assert events == ["new"]
    state, events = run(state, obs("page"), T0 + 60)
    assert events == []
    state, events = run(state, obs("page"), T0 + DEFAULT_REPEAT - 1)
    assert events == []
    state, events = run(state, obs("page"), T0 + DEFAULT_REPEAT)
    assert events == ["repeat"]
    assert state.incidents["orders/availability"].last_notified_at == T0 + DEFAULT_REPEAT


def test_ticket_to_page_escalates_once_and_page_to_ticket_is_quiet() -> None:
    state, events = run(WatchState(), obs("ticket"), T0)
    assert events == ["new"]
    state, events = run(state, obs("page"), T0 + 60)
    assert events == ["escalated"]
    state, events = run(state, obs("ticket"), T0 + 120)
    assert events == []
    state, events = run(state, obs("page"), T0 + 180)
    assert events == []  # already told it paged
    assert state.incidents["orders/availability"].peak == "page"


def test_resolution_is_told_then_the_incident_is_forgotten() -> None:
    state, _ = run(WatchState(), obs("page"), T0)
    planned = plan(state, [obs("none")], now=T0 + 600, owner="a", sinks=SINKS)
    assert [c.event for c in planned.claims] == ["resolved"]
    assert planned.rows == {"orders/availability": "resolved"}
    done = settle(planned.state, "a", {"orders/availability": {s: SinkResult() for s in SINKS}}, now=T0 + 600)
    assert done.incidents == {}


def test_inconclusive_data_never_resolves_or_opens_an_incident() -> None:
    state, _ = run(WatchState(), obs("page"), T0)
    planned = plan(state, [obs("none", status="inconclusive")], now=T0 + 60, owner="a", sinks=SINKS)
    assert planned.claims == ()
    assert planned.state.incidents["orders/availability"].status == "firing"
    fresh = plan(WatchState(), [obs("page", status="inconclusive")], now=T0, owner="a", sinks=SINKS)
    assert fresh.state.incidents == {} and fresh.claims == ()


def test_a_second_watcher_leaves_a_held_claim_alone_until_its_lease_runs_out() -> None:
    first = plan(WatchState(), [obs("page")], now=T0, owner="a", sinks=SINKS)
    assert [c.event for c in first.claims] == ["new"]
    second = plan(first.state, [obs("page")], now=T0 + 5, owner="b", sinks=SINKS)
    assert second.claims == ()
    assert "another watcher (a)" in second.busy["orders/availability"]
    # a dies without settling: after the lease, b takes the notice over (at-least-once)
    late = plan(first.state, [obs("page")], now=T0 + DEFAULT_LEASE, owner="b", sinks=SINKS)
    assert [c.event for c in late.claims] == ["new"]
    pending = late.state.incidents["orders/availability"].pending
    assert pending is not None and pending.claimed_by == "b" and pending.attempts == 2


def test_a_failed_sink_is_retried_next_round_and_the_delivered_one_is_not() -> None:
    planned = plan(WatchState(), [obs("page")], now=T0, owner="a", sinks=SINKS)
    results = {
        "orders/availability": {
            "slack": SinkResult(ref={"channel": "C1", "ts": "9.9"}),
            "webhook": SinkResult(error="HTTP 500"),
        }
    }
    state = settle(planned.state, "a", results, now=T0)
    incident = state.incidents["orders/availability"]
    assert incident.refs == {"slack": {"channel": "C1", "ts": "9.9"}}
    assert incident.pending == Pending(event="new", sinks=["webhook"], attempts=1)
    again = plan(state, [obs("page")], now=T0 + 60, owner="b", sinks=SINKS)
    assert [(c.event, c.sinks) for c in again.claims] == [("new", ("webhook",))]


def test_a_settle_after_a_takeover_keeps_references_but_not_the_claim() -> None:
    first = plan(WatchState(), [obs("page")], now=T0, owner="a", sinks=SINKS)
    taken = plan(first.state, [obs("page")], now=T0 + DEFAULT_LEASE, owner="b", sinks=SINKS)
    state = settle(
        taken.state,
        "a",
        {"orders/availability": {"slack": SinkResult(ref={"channel": "C", "ts": "1.2"})}},
        now=T0,
    )
    incident = state.incidents["orders/availability"]
    assert incident.refs["slack"] == {"channel": "C", "ts": "1.2"}
    assert incident.pending is not None and incident.pending.claimed_by == "b"


def test_an_slo_removed_from_a_loaded_policy_is_forgotten_other_services_are_kept() -> None:
    state, _ = run(WatchState(), obs("page"), T0)
    state, _ = run(state, obs("page", service="payments"), T0)
    planned = plan(
        state, [obs("none", slo="latency")], now=T0 + 60, owner="a", sinks=SINKS, services=["orders"]
    )
    assert set(planned.state.incidents) == {"payments/availability"}


@pytest.mark.parametrize("alert", ["page", "ticket"])
def test_burning_again_before_a_resolution_was_told_continues_the_incident(alert: str) -> None:
    state, _ = run(WatchState(), obs(alert), T0)
    resolving = plan(state, [obs("none")], now=T0 + 60, owner="a", sinks=SINKS)
    failed = settle(
        resolving.state,
        "a",
        {"orders/availability": {s: SinkResult(error="down") for s in SINKS}},
        now=T0 + 60,
    )
    again = plan(failed, [obs(alert)], now=T0 + 120, owner="a", sinks=SINKS)
    assert again.claims == ()
    assert again.state.incidents["orders/availability"].status == "firing"
