"""Make the change's text safe to read and to send: strip, redact, scan. PURE (no I/O).

Every piece of untrusted text (the diff, PR title and body, labels, commit messages) goes through the
same three steps, in this order, before any other stage sees it:

1. invisible characters (zero-width, bidi controls, tag characters) are removed, so they can neither
   hide a secret from the redactor nor an instruction from the detector nor trick a human reader;
2. secret-like strings are replaced by `[REDACTED:kind]` markers (line structure kept, so the diff
   still parses and line numbers still point at the right file);
3. instruction-like text aimed at a reviewer or an AI is located.

What was found becomes deterministic risk: any secret raises the floor to high, any instruction-like
text to at least medium. Findings name where they are, never the secret itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gate.models import RiskAssessment, RiskLevel
from gate.risk.diff import ParsedDiff, parse_unified_diff
from gate.risk.sanitize import strip_invisible

if TYPE_CHECKING:
    from gate.risk.injection import InstructionHit
    from gate.risk.redact import Redaction

__all__ = ["ChangeMaterial", "Finding", "content_assessment", "prepare_change"]

_MAX_LISTED = 5


@dataclass(frozen=True)
class Finding:
    """Something found in the change's text: `path` is the diff file it is in (None: PR text)."""

    where: str
    path: str | None
    what: str


@dataclass(frozen=True)
class ChangeMaterial:
    """The change's untrusted text after stripping and redaction, and what the scans found."""

    lines: tuple[str, ...]
    title: str = ""
    body: str = ""
    labels: tuple[str, ...] = ()
    commits: tuple[str, ...] = ()
    secrets: tuple[Finding, ...] = ()
    instructions: tuple[Finding, ...] = ()
    invisible: int = 0  # invisible characters removed, in all fields together


def _valid_unicode(text: str) -> str:
    """Undecodable bytes (lone surrogates) become U+FFFD: the text must encode as UTF-8 to be sent."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:  # bytes kept by `surrogateescape` decoding: one replacement character per byte
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:  # other lone surrogates (e.g. from JSON escapes)
            return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _redact(text: str) -> tuple[str, tuple[Redaction, ...]]:
    """The text with its secrets replaced, and what was replaced."""
    # The secret and instruction pattern tables take tens of ms to compile: they load with the first
    # text there is to scan, so a run with none (an empty diff and no PR text) never pays for them.
    if not text:
        return text, ()
    from gate.risk.redact import redact

    done = redact(text)
    return done.text, done.redactions


def _instructions(text: str) -> list[InstructionHit]:
    if not text:
        return []
    from gate.risk.injection import find_instructions

    return find_instructions(text)


def scrub(text: str) -> str:
    """Untrusted text made safe to send to a model: invalid Unicode and invisible characters gone,
    secrets redacted. The `scrub` that gate.llm.phrase takes for every untrusted value."""
    return _redact(strip_invisible(_valid_unicode(text))[0])[0]


class _Scanner:
    def __init__(self) -> None:
        self.secrets: list[Finding] = []
        self.instructions: list[Finding] = []
        self.invisible = 0

    def clean(self, text: str, where: str) -> str:
        """Strip, redact and scan one field of PR text; `where` names it in findings."""
        text, removed = strip_invisible(_valid_unicode(text))
        self.invisible += removed
        cleaned, redactions = _redact(text)
        multi = "\n" in text
        for found in redactions:
            place = f"{where} line {found.line}" if multi else where
            self.secrets.append(Finding(place, None, found.kind))
        for hit in _instructions(cleaned):
            place = f"{where} line {hit.line}" if multi else where
            self.instructions.append(Finding(place, None, hit.phrase))
        return cleaned


def _clean_paths(parsed: ParsedDiff, scanner: _Scanner) -> ParsedDiff:
    """File names from a collector (the GitHub API) get the same stripping and redaction as text."""
    files = []
    for changed in parsed.files:
        path = scanner.clean(changed.path, "a file name")
        old = scanner.clean(changed.old_path, "a file name") if changed.old_path else changed.old_path
        files.append(changed.model_copy(update={"path": path, "old_path": old}))
    return parsed.model_copy(update={"files": files})


def _file_locator(parsed: ParsedDiff) -> Callable[[int], str | None]:
    """The diff file that holds a 0-based line (None: outside every file's section). The spans are
    indexed once: a diff with a secret in each of its many files is located in O(n log n)."""
    starts = [span.start for span in parsed.spans]

    def file_at(line_index: int) -> str | None:
        position = bisect.bisect_right(starts, line_index) - 1
        if position < 0 or line_index >= parsed.spans[position].end:
            return None
        return parsed.files[position].path

    return file_at


def prepare_change(
    diff_text: str | None,
    *,
    title: str = "",
    body: str = "",
    labels: Sequence[str] = (),
    commits: Sequence[str] = (),
    parsed: ParsedDiff | None = None,
) -> tuple[ChangeMaterial, ParsedDiff | None]:
    """Strip, redact and scan every field; parse the cleaned diff (its structure is unchanged).

    `parsed` is given when the diff was already parsed from the same text by its collector (the
    GitHub API path, whose counts come from the API); stripping and redaction keep every line in
    place, so its spans still hold.
    """
    scanner = _Scanner()
    given = parsed
    lines: tuple[str, ...] = ()
    if diff_text is not None:
        text, removed = strip_invisible(_valid_unicode(diff_text))
        scanner.invisible += removed
        text, redactions = _redact(text)
        if parsed is None:
            parsed = parse_unified_diff(text)  # names come from the cleaned text: already redacted
        lines = tuple(text.split("\n"))
        file_at = _file_locator(parsed)
        for found in redactions:
            path = file_at(found.line - 1)
            where = f"{path} (diff line {found.line})" if path else f"diff line {found.line}"
            scanner.secrets.append(Finding(where, path, found.kind))
        for hit in _instructions(text):
            path = file_at(hit.line - 1)
            where = f"{path} (diff line {hit.line})" if path else f"diff line {hit.line}"
            scanner.instructions.append(Finding(where, path, hit.phrase))
    if given is not None and parsed is not None:
        parsed = _clean_paths(parsed, scanner)
    cleaned_title = scanner.clean(title, "PR title")
    cleaned_body = scanner.clean(body, "PR body")
    cleaned_labels = tuple(scanner.clean(label, "label") for label in labels)
    cleaned_commits = tuple(scanner.clean(message, "commit message") for message in commits)
    material = ChangeMaterial(
        lines=lines,
        title=cleaned_title,
        body=cleaned_body,
        labels=cleaned_labels,
        commits=cleaned_commits,
        secrets=tuple(scanner.secrets),
        instructions=tuple(scanner.instructions),
        invisible=scanner.invisible,
    )
    return material, parsed


def _listed(findings: Sequence[Finding], describe: str, effect: str) -> list[str]:
    out = [f"{describe}: {f.what} in {f.where} → {effect}" for f in findings[:_MAX_LISTED]]
    if len(findings) > _MAX_LISTED:
        out.append(f"{describe}: {len(findings) - _MAX_LISTED} more findings → {effect}")
    return out


def content_assessment(
    material: ChangeMaterial, paths: Collection[str] | None = None
) -> RiskAssessment | None:
    """The floor the change's content sets, for a service that judges `paths` (None: every file).

    Findings in PR text (title, body, labels, commits) count for every service.
    """

    def mine(finding: Finding) -> bool:
        return paths is None or finding.path is None or finding.path in paths

    secrets = [f for f in material.secrets if mine(f)]
    instructions = [f for f in material.instructions if mine(f)]
    if not secrets and not instructions:
        return None
    reasons = _listed(
        secrets, "secret-like content in the change (redacted before anything was sent)", "high"
    )
    reasons += _listed(instructions, "instruction-like text aimed at a reviewer or an AI", "at least medium")
    level = RiskLevel.HIGH if secrets else RiskLevel.MEDIUM
    return RiskAssessment(source="content", risk=level, reasons=reasons)
