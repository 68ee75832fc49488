"""slo-gate: SLO error budgets as a deploy gate."""

__version__ = "0.1.0"
