"""The objective recommender: which SLO objective a service's own history supports, and what each
candidate would have meant (windows breached, budget left, deploy tiers, pages and tickets).

Stages, in the order data flows: `target` (what to measure: a policy's SLO, queries given on the
command line, or a latency histogram), `history` (range queries of hourly counts: the only I/O),
`series` (PURE: days, rolling windows, gaps, low-traffic days), `backtest` (PURE: one candidate
replayed over the history), `recommend` (PURE: the ladder, the headroom candidate, the rule and the
findings), `latency` (PURE: a threshold from a histogram's buckets), `narrative` (an optional model
paragraph through gate.llm), `render` (PURE: text, Markdown, JSON, the policy block) and `command`
(the assembly the CLI calls).
"""
