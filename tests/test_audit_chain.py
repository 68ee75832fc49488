"""The hash chain on its own: what verify_lines catches, and where it says the chain breaks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from gate.audit.chain import GENESIS, Checkpoint, canonical, parse_checkpoint, record_hash, seal, verify_lines


def chain(n: int = 5) -> list[str]:
    lines: list[str] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        body: dict[str, Any] = {"kind": "decision", "service": "payments", "run_key": f"{seq}.1"}
        body["decision"] = {"outcome": "pass", "reasons": ["budget ok ✓", "line\u2028separator"]}
        record = seal(body, seq, prev)
        lines.append(canonical(record))
        prev = record["hash"]
    return lines


def test_an_intact_chain_is_ok_with_its_count_and_head() -> None:
    lines = chain()
    report = verify_lines("audit/payments.jsonl", lines)
    assert report.ok
    assert (report.count, report.bad_seq, report.problem) == (5, None, None)
    assert report.head == json.loads(lines[-1])["hash"]
    assert [r["seq"] for r in report.records] == [1, 2, 3, 4, 5]
    assert report.records[0]["prev_hash"] == GENESIS


def test_an_empty_chain_is_ok() -> None:
    report = verify_lines("x", [])
    assert (report.ok, report.count, report.head) == (True, 0, GENESIS)


def test_seal_replaces_any_chain_fields_in_the_body() -> None:
    record = seal({"a": 1, "seq": 99, "prev_hash": "x", "hash": "y"}, 1, GENESIS)
    assert (record["seq"], record["prev_hash"]) == (1, GENESIS)
    assert record["hash"] == record_hash(record)


def edit_field(lines: list[str]) -> list[str]:
    lines[2] = lines[2].replace('"outcome":"pass"', '"outcome":"fail"')  # still canonical, wrong hash
    return lines


def swap(lines: list[str]) -> list[str]:
    lines[2], lines[3] = lines[3], lines[2]
    return lines


def delete_middle(lines: list[str]) -> list[str]:
    del lines[2]
    return lines


def duplicate(lines: list[str]) -> list[str]:
    lines.insert(3, lines[2])
    return lines


def smuggle_newline(lines: list[str]) -> list[str]:
    # A raw newline inside a field: the record arrives as two lines, neither of them JSON.
    lines[2] = lines[2].replace('"outcome":"pass"', '"outcome":"pa\nss"')
    return "\n".join(lines).split("\n")


def spaces(lines: list[str]) -> list[str]:
    lines[2] = json.dumps(json.loads(lines[2]), sort_keys=True, ensure_ascii=False)  # ", " and ": "
    return lines


def ascii_escapes(lines: list[str]) -> list[str]:
    lines[2] = json.dumps(json.loads(lines[2]), sort_keys=True, separators=(",", ":"))  # \u2713
    return lines


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "words"),
    [
        (edit_field, 3, "hash does not match"),
        (swap, 3, "has seq 4, expected 3"),
        (delete_middle, 3, "has seq 4, expected 3"),
        (duplicate, 4, "has seq 3, expected 4"),
        (smuggle_newline, 3, "not valid JSON"),
        (spaces, 3, "canonical"),
        (ascii_escapes, 3, "canonical"),
    ],
)
def test_tampering_is_caught_at_the_first_affected_seq(
    tamper: Callable[[list[str]], list[str]], bad_seq: int, words: str
) -> None:
    report = verify_lines("audit/payments.jsonl", tamper(chain()))
    assert not report.ok
    assert report.bad_seq == bad_seq
    assert report.problem is not None and words in report.problem
    assert report.count == bad_seq - 1  # the records before the break are still readable
    assert [r["seq"] for r in report.records] == list(range(1, bad_seq))


def test_a_hash_recomputed_after_an_edit_breaks_the_next_link() -> None:
    lines = chain()
    record = json.loads(lines[2])
    record["decision"]["outcome"] = "fail"
    lines[2] = canonical(seal(record, 3, record["prev_hash"]))
    report = verify_lines("x", lines)
    assert report.bad_seq == 4
    assert report.problem is not None and "prev_hash" in report.problem


def test_an_empty_line_is_caught() -> None:
    lines = chain()
    lines.insert(2, "")
    assert verify_lines("x", lines).bad_seq == 3


def test_a_deleted_tail_is_only_caught_against_a_checkpoint() -> None:
    full = chain()
    last = json.loads(full[-1])
    cut = full[:-1]
    assert verify_lines("x", cut).ok
    report = verify_lines("x", cut, [Checkpoint(5, last["hash"])])
    assert (report.ok, report.bad_seq) == (False, 5)
    assert report.problem is not None and "tail was removed" in report.problem
    assert verify_lines("x", full, [Checkpoint(5, last["hash"])]).ok


def test_a_checkpoint_hash_mismatch_is_caught() -> None:
    report = verify_lines("x", chain(), [Checkpoint(3, "f" * 64)])
    assert (report.ok, report.bad_seq) == (False, 3)
    assert report.problem is not None and "checkpoint hash" in report.problem


def test_checkpoints_parse_as_seq_colon_hash() -> None:
    digest = json.loads(chain()[1])["hash"]
    assert parse_checkpoint(f"2:{digest}") == Checkpoint(2, digest)
    for text in ("2", f"0:{digest}", f"x:{digest}", "2:abc", f"2:{digest.upper()}"):
        with pytest.raises(ValueError, match="SEQ:HASH"):
            parse_checkpoint(text)


def resealed_with(index: int, field: str, value: Any) -> list[str]:
    """A two-record chain whose record `index` has `field` set to `value` and a hash that matches."""
    lines = chain(2)
    record = json.loads(lines[index])
    record[field] = value
    record["hash"] = record_hash(record)
    lines[index] = canonical(record)
    return lines


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("[" * 100_000 + "]" * 100_000, "line 2 is not valid JSON"),  # deeper than the parser recurses
        ('{"seq":2,"cost":NaN}', "line 2 is not valid JSON"),
        ('{"seq":2,"cost":-Infinity}', "line 2 is not valid JSON"),
        ('{"seq":2,"cost":1e999}', "line 2 is not in canonical form"),  # reads as inf
    ],
)
def test_hostile_lines_are_a_broken_chain_not_a_crash(line: str, problem: str) -> None:
    report = verify_lines("x", [chain(1)[0], line])
    assert (report.ok, report.bad_seq, report.count) == (False, 2, 1)
    assert report.problem is not None and report.problem.startswith(problem)


@pytest.mark.parametrize(("index", "seq"), [(0, True), (1, 2.0), (1, "2")])
def test_a_seq_that_only_compares_equal_is_refused(index: int, seq: Any) -> None:
    report = verify_lines("x", resealed_with(index, "seq", seq))
    assert (report.ok, report.bad_seq) == (False, index + 1)
    assert report.problem == (
        f"line {index + 1} has seq {seq!r}, expected {index + 1} (a record was removed, moved or duplicated)"
    )
