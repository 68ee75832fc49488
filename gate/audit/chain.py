"""Canonical JSON and the hash chain. PURE.

Each record is one line of canonical JSON (sorted keys, no spaces, UTF-8, no NaN). `hash` is the
sha256 of the canonical record without `hash`; `prev_hash` is the previous record's hash (64 zeros
for the first); `seq` counts from 1. Editing, reordering, removing or duplicating a line breaks the
chain at the first affected `seq`; truncating the tail is caught against a checkpoint (`seq:hash`)
kept elsewhere (the PR comment, the job summary).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GENESIS",
    "ChainReport",
    "Checkpoint",
    "canonical",
    "parse_checkpoint",
    "record_hash",
    "seal",
    "verify_lines",
]

GENESIS = "0" * 64


def canonical(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def seal(body: Mapping[str, Any], seq: int, prev_hash: str) -> dict[str, Any]:
    """The record with its place in the chain: `seq`, `prev_hash` and `hash` added."""
    record = {k: v for k, v in body.items() if k not in ("seq", "prev_hash", "hash")}
    record["seq"] = seq
    record["prev_hash"] = prev_hash
    record["hash"] = record_hash(record)
    return record


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str


def parse_checkpoint(text: str) -> Checkpoint:
    seq, sep, digest = text.partition(":")
    if (
        not sep
        or not seq.isdigit()
        or int(seq) < 1
        or len(digest) != 64
        or not all(c in "0123456789abcdef" for c in digest)
    ):
        raise ValueError(f"checkpoint {text!r} is not SEQ:HASH (a positive number and 64 hex digits)")
    return Checkpoint(int(seq), digest)


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking one chain: ok with the count and head, or the first bad `seq`."""

    name: str
    count: int
    head: str
    bad_seq: int | None = None
    problem: str | None = None
    records: tuple[dict[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json reads NaN and Infinity; canonical JSON has none


def verify_lines(name: str, lines: Iterable[str], checkpoints: Sequence[Checkpoint] = ()) -> ChainReport:
    """Check a chain line by line; stop at the first problem and name its `seq` (the expected one)."""
    records: list[dict[str, Any]] = []
    prev = GENESIS
    expected = 1

    def bad(problem: str) -> ChainReport:
        return ChainReport(name, len(records), prev, expected, problem, tuple(records))

    for number, line in enumerate(lines, start=1):
        if line == "":
            return bad(f"line {number} is empty")
        try:
            record = json.loads(line, parse_constant=_no_constant)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than any record has
            return bad(f"line {number} is not valid JSON (an edited line or a newline inside a field)")
        if not isinstance(record, dict):
            return bad(f"line {number} is not a JSON object")
        try:
            same = canonical(record) == line
        except (ValueError, RecursionError):  # a number too large for a float (1e999) reads as inf
            same = False
        if not same:
            return bad(f"line {number} is not in canonical form (it was edited)")
        seq = record.get("seq")
        if type(seq) is not int or seq != expected:  # not True or 1.0, which compare equal to 1
            return bad(
                f"line {number} has seq {seq!r}, expected {expected} (a record was removed, moved or duplicated)"
            )
        if record.get("prev_hash") != prev:
            return bad(f"seq {seq}: prev_hash does not match the hash of seq {expected - 1}")
        if record.get("hash") != record_hash(record):
            return bad(f"seq {seq}: hash does not match its content (the record was edited)")
        records.append(record)
        prev = record["hash"]
        expected += 1
    by_seq = {r["seq"]: r["hash"] for r in records}
    for point in checkpoints:
        if point.seq not in by_seq:
            return ChainReport(
                name,
                len(records),
                prev,
                point.seq,
                f"checkpoint seq {point.seq} is missing: the log ends at seq {len(records)} (its tail was removed)",
                tuple(records),
            )
        if by_seq[point.seq] != point.hash:
            return ChainReport(
                name,
                len(records),
                prev,
                point.seq,
                f"seq {point.seq} does not match the checkpoint hash (the log was rewritten)",
                tuple(records),
            )
    return ChainReport(name, len(records), prev, records=tuple(records))
