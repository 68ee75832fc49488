"""Prometheus rules from policies: `slo-gate rules`.

- `rules.py`: PURE generator, a policy -> rule groups (recordings and the page/ticket alerts), each rule
  with the comment that explains it.
- `render.py`: PURE writers of those groups as a Prometheus rule file or a prometheus-operator
  `PrometheusRule`.
- `command.py`: the command: load the policies, generate, write to stdout, a file or a folder.
"""
