"""PURE: an SLI query's own text: `{{.window}}` templating that remembers where each character came from.

In: a query template as written in a policy (Sloth-compatible: `{{.window}}`, spaces allowed inside the
braces, is the only variable) and a PromQL duration. Out: the rendered query, and for any offset in it
the offset in the template it came from, so an error found in the rendered text (by the offline parser
or by Prometheus) is shown at the author's own line and column. A character of a substituted duration
maps to the start of its `{{.window}}`. No I/O; every scan is one linear pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["WINDOW_TEMPLATE", "Rendered", "find_templates", "position", "render"]

WINDOW_TEMPLATE = re.compile(r"\{\{\s*\.window\s*\}\}")


def find_templates(text: str) -> list[tuple[int, int]]:
    """(start, end) of every closed `{{...}}` in `text`, in order (each `{{` with the next `}}`).

    Linear: the pairs are found by `str.find`, never by backtracking (a lazy `{{.*?}}` regex is
    quadratic on a text with many `{{` and no `}}`).
    """
    spans: list[tuple[int, int]] = []
    start = text.find("{{")
    while start != -1:
        close = text.find("}}", start + 2)
        if close == -1:
            break
        spans.append((start, close + 2))
        start = text.find("{{", close + 2)
    return spans


@dataclass(frozen=True)
class Rendered:
    """A rendered query and its substitutions: (rendered start, rendered end, template start, template end)."""

    template: str
    text: str
    substitutions: tuple[tuple[int, int, int, int], ...]

    def template_offset(self, offset: int) -> int:
        """The offset in the template of the character at `offset` in the rendered text."""
        shift = 0
        for start, end, origin, origin_end in self.substitutions:
            if offset < start:
                break
            if offset < end:
                return origin
            shift = end - origin_end
        return max(0, min(len(self.template), offset - shift))


def render(template: str, duration: str) -> Rendered:
    """`template` with every `{{.window}}` replaced by `duration`."""
    pieces: list[str] = []
    substitutions: list[tuple[int, int, int, int]] = []
    length = 0
    last = 0
    for match in WINDOW_TEMPLATE.finditer(template):
        before = template[last : match.start()]
        pieces += [before, duration]
        length += len(before)
        substitutions.append((length, length + len(duration), match.start(), match.end()))
        length += len(duration)
        last = match.end()
    pieces.append(template[last:])
    return Rendered(template=template, text="".join(pieces), substitutions=tuple(substitutions))


def position(text: str, offset: int) -> str:
    """`column C` (1-based, in characters) for a one-line text, else `line L, column C`."""
    offset = max(0, min(len(text), offset))
    line_start = text.rfind("\n", 0, offset) + 1
    column = offset - line_start + 1
    if "\n" not in text.rstrip("\n"):
        return f"column {column}"
    return f"line {text.count(chr(10), 0, offset) + 1}, column {column}"
