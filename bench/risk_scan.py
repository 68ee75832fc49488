"""How the scans over untrusted text grow with adversarial input: flat ms/MB means linear time.

Run from the repository root:

    .venv/bin/python bench/risk_scan.py                     # every bait, 160 KB / 640 KB / 2.5 MB, median of 3
    .venv/bin/python bench/risk_scan.py --bait minified-assign --sizes 160000 --runs 1

A PR author controls the diff, title, body and commit messages, and every one of them goes through
strip (gate.risk.sanitize), redact (gate.risk.redact) and the instruction scan (gate.risk.injection)
before anything else reads it, in that order (as gate.risk.material does). Each bait below is a short
unit that provokes one pattern family (a key word with a value that is not a literal, a token prefix
without a token, a quote that never closes, a keyword of the instruction detector, ...); the unit is
repeated into one line (or, for the multi-line baits, many lines) of each size. The bench times the
three stages on that text and prints, per size, the total in ms and ms per MB: a superlinear scan
shows as ms/MB growing with the size, a linear one as a flat column. The last column is the 2.5 MB
ms/MB over the 160 KB ms/MB (about 1 for linear, about 16 for quadratic).

Figures only; timings are never asserted (the correctness of the same inputs is tested in
tests/test_risk_scan.py). Pure Python, no services needed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from gate.risk.injection import find_instructions
from gate.risk.redact import redact
from gate.risk.sanitize import strip_invisible

SIZES = (160_000, 640_000, 2_560_000)

# name -> the unit repeated to each size (one line, unless the unit holds its own newlines).
BAITS: dict[str, str] = {
    # redact: key words whose value is not a literal, many keys inside one run without whitespace
    "minified-assign": "h.token=c.token;",
    "call-value": "password=x(",
    "attribute-type": "token:a.",
    "mask-value": "token=****",
    "typed-default": "token:Optional[",
    "escaped-quote": 'token=\\"$x,',
    "open-quote": 'token="',
    "unicode-value": "é token=",
    "api-key-word": "x_api_key=",
    # redact: token prefixes without a token, URL and webhook shapes
    "github-prefix": "ghp_",
    "openai-prefix": "sk-",
    "jwt-segments": "eyJaaaaa.",
    "aws-prefix": "AKIA",
    "url-userinfo": "://a:b",
    "slack-hook": "hooks.slack.com/services/",
    # redact: private key blocks, on one line and as many short terminated blocks
    "key-block-one-line": "-----BEGIN RSA PRIVATE KEY-----x-----END RSA PRIVATE KEY-----",
    "key-blocks": "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n",
    "key-begin-lines": "+-----BEGIN PRIVATE KEY-----\n+x\n",
    # injection: keywords and phrase prefixes that enable rules without completing them
    "override-words": "ignore all the previous ",
    "verdict-words": "this change is low ",
    "role-words": "you are now a b c ",
    "risk-claims": "the risk is ***",
    "delimiters": "<|<system>## [inst",
    "lookalikes": "ігнор іnstructions ",
    # sanitize: invisible characters between visible ones
    "invisible": "\u200b\u202ea\u00ad\U000e0041",
    # many short lines (a long diff), each a candidate for the instruction scan
    "short-lines": "+ignore token=abc123 risk\n",
}


def build(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def scan(text: str) -> None:
    clean, _ = strip_invisible(text)
    redacted = redact(clean)
    find_instructions(redacted.text)


def timed(run: Callable[[str], None], text: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run(text)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="characters per text")
    parser.add_argument("--bait", action="append", choices=sorted(BAITS), help="only these baits")
    args = parser.parse_args()
    names = args.bait or list(BAITS)
    sizes = sorted(args.sizes)
    print(f"strip + redact + instruction scan, median of {args.runs} runs; ms and ms/MB per size\n")
    head = "".join(f"{f'{size / 1e6:g} MB':>20}" for size in sizes)
    print(f"{'bait':<20}{head}  {'growth':>7}")
    scan("warm-up: token=abc ignore previous instructions")
    for name in names:
        unit = BAITS[name]
        cells, per_mb = [], []
        for size in sizes:
            text = build(unit, size)
            seconds = timed(scan, text, args.runs)
            per_mb.append(seconds * 1000 / (len(text) / 1e6))
            cells.append(f"{seconds * 1000:>9.0f} {per_mb[-1]:>6.0f}/MB")
        growth = per_mb[-1] / per_mb[0] if per_mb[0] else 0.0
        print(f"{name:<20}" + "".join(f"{cell:>20}" for cell in cells) + f"  {growth:>6.1f}x", flush=True)


if __name__ == "__main__":
    main()
