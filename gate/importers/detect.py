"""PURE: whether a file is a Sloth, OpenSLO or Pyrra spec, without loading the converters.

Every policy file is asked this on load, so it stays apart from convert.py and its imports.
"""

from __future__ import annotations

import re

__all__ = ["FOREIGN", "is_foreign"]

# The version line of a spec this module reads, anywhere in the file (a list item or a later document).
# Linear: no two adjacent parts can match the same characters (indentation, then `- `, then the key).
FOREIGN = re.compile(
    r"(?m)^[ \t]*(?:-[ \t]+)?(?:apiVersion|version)[ \t]*:[ \t]*[\"']?"
    r"(prometheus/v1|sloth\.slok\.dev/v1|openslo/v1alpha|openslo/v1|pyrra\.dev/v1alpha1)[\"']?[ \t]*(?:#.*)?$"
)


def is_foreign(data: bytes) -> bool:
    """Whether a file is a Sloth, OpenSLO or Pyrra spec rather than a slo-gate policy (a linear scan)."""
    return FOREIGN.search(data.decode("utf-8", "replace")) is not None
