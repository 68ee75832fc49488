"""Incidents: one per (service, SLO) while a page or ticket condition holds.

`model` holds the frozen values; `evaluate` reads a round's budgets (PURE); `state` is the persisted
state and its transitions (PURE); `onset`, `where`, `deploys` and `context` gather what an SRE needs
to act (Prometheus through gate.measure, the audit log's typed records); `summary` phrases it through
gate.llm; `store` keeps the state between rounds (a file, or `watch/state.json` on the audit branch).
"""
