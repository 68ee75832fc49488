"""Postmortem drafts that speak in budget: where an incident began and ended (span), what it consumed
(spend, impact), how much release capacity is left (capacity), the draft's model (model), its
Markdown and JSON (render), and the pieces `slo-gate postmortem` and `watch` assemble (build, draft).
"""
