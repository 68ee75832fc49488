"""Sloth, OpenSLO and Pyrra specs in, slo-gate policies out: `slo-gate import`, and `--policy` on such files.

- `spec.py`: PURE: a document of a spec file with its lines, refusals as `FILE:LINE: field: why, and
  what to do`, and the conversion of a spec's metric into a windowed slo-gate query.
- `sloth.py`, `openslo.py`, `pyrra.py`: PURE: one format each -> `Draft`s (a service's SLOs as plain
  slo-gate policy data, with the source line and field of every value).
- `detect.py`: PURE: whether a file is a spec at all (asked of every policy file, so it imports nothing).
- `convert.py`: which format a file is, every document of it converted, drafts per service, the
  `--gate-defaults` overlay, validation through the one policy loader (gate/policy_load.py).
- `render.py`: PURE: an imported policy as slo-gate YAML with a header naming its source.
- `command.py`: the `slo-gate import` command.

Never approximated: what a spec says that slo-gate cannot express exactly (a non-Prometheus source,
Timeslices budgeting, a Sloth plugin or raw error-ratio query, Pyrra grouping, native histograms, a
rolling month) is refused, with what to do instead.
"""
