"""PURE: JSON text from outside (a service's answer, a recorded snapshot) parsed with bounded depth.

In: bytes or text, UTF-8 (a leading BOM is allowed). Out: the parsed value, or a JSONError whose
message says what was wrong without quoting the input. Never: a RecursionError (CPython's decoder
recurses once per nesting level, so `[[[[...` 400 KB deep would otherwise escape as a traceback),
a value nested deeper than `max_depth`, or (unless asked for) the non-standard constants
NaN/Infinity (RFC 8259 has none; a number that needs them is garbage, not a figure). Every pass
over the input is linear.
"""

from __future__ import annotations

import json
from array import array
from itertools import accumulate
from typing import Final

__all__ = ["MAX_DEPTH", "JSONError", "loads"]

MAX_DEPTH: Final = 64  # a Prometheus answer is 5 levels deep, a GitHub timeline event about 6


class JSONError(ValueError):
    """The input is not JSON this program will use; the message never quotes the input.

    `syntax`: it is not JSON at all (bad UTF-8, a syntax error), as opposed to JSON that is refused
    (nested too deeply, NaN/Infinity).
    """

    def __init__(self, message: str, *, syntax: bool = False) -> None:
        super().__init__(message)
        self.syntax = syntax


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH, constants: bool = False) -> object:
    """Parse `raw` as one JSON value nested at most `max_depth` levels.

    `constants`: accept NaN, Infinity and -Infinity as floats (Python's own json.dumps writes them),
    for a caller that validates numbers itself.
    """
    if isinstance(raw, bytes | bytearray):
        try:
            text = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JSONError(f"not UTF-8 (byte {exc.start})", syntax=True) from None
    else:
        text = raw.removeprefix("\ufeff")
    try:
        value = json.loads(text, parse_constant=None if constants else _refuse_constant)
    except RecursionError:
        raise JSONError(f"nested deeper than {max_depth} levels") from None
    except JSONError:
        raise
    except ValueError as exc:  # JSONDecodeError, and int() refusing a number of 4300+ digits
        raise JSONError(_decode_message(exc), syntax=True) from None
    # Fewer brackets than the limit cannot nest past it: most small answers skip the scan.
    if (
        text.count("[") + text.count("{") > max_depth
        and nesting_depth(raw if isinstance(raw, bytes) else text) > max_depth
    ):
        raise JSONError(f"nested deeper than {max_depth} levels")
    return value


# Opening brackets become +1, closing ones -1 (as signed bytes), every other byte goes: depth is then
# a running sum, all of it computed in C.
_STEPS: Final = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_depth(text: str | bytes) -> int:
    """How deeply arrays and objects nest in `text`, which must be valid JSON (brackets inside
    strings do not count). Every step is one linear pass in C: drop escaped backslashes and quotes
    (valid JSON has backslashes only inside strings), split on the remaining quotes (every other
    piece is outside a string), keep the brackets, sum."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2])
    return max(accumulate(array("b", outside.translate(_STEPS, _NOT_BRACKETS))), default=0)


def _refuse_constant(name: str) -> object:
    raise JSONError(f"{name} is not a JSON number")


def _decode_message(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    return "a number is too long to read"
