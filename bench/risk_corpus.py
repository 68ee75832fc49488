"""The risk rules scored on the labelled corpus (tests/riskcorpus), per kind and per ecosystem.

Run from the repository root:

    .venv/bin/python bench/risk_corpus.py
    .venv/bin/python bench/risk_corpus.py --misses      # also list every case the rules get wrong

Every case goes through the gate's own path (strip, redact, parse, `gate.app.rule_floor`) and is
compared with its labels: each file's kind, and the floor a reviewer would give the change. It prints
recall of structural floors per kind (files labelled migration, infra, ci or container whose floor
is high), docs and tests recall and precision per file, false-high on low (changes labelled low that
the rules call high, and for context those they call anything above low), medium/high called low
(overall and per ecosystem), each against its goal. Figures only; tests/test_risk_corpus.py asserts
the goals.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.riskcorpus.cases import CASES
from tests.riskcorpus.metrics import GOALS, judge, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list the cases the rules get wrong")
    args = parser.parse_args()
    verdicts = [judge(case) for case in CASES]
    result = score(verdicts)
    traps = sum(case.trap for case in CASES)
    print(f"{result.cases} cases ({traps} traps), {result.files} files\n")
    print("structural floors (files whose floor is high)")
    for kind, ratio in result.structural.items():
        print(f"  {kind.value:<12}{ratio}")
    print("docs and tests (per file)")
    for kind in result.exempt_recall:
        print(
            f"  {kind.value:<12}recall {result.exempt_recall[kind]}, precision {result.exempt_precision[kind]}"
        )
    print("changes")
    print(f"  low called high           {result.low_called_high}")
    print(f"  low called above low      {result.low_called_above_low}")
    print(f"  medium/high called low    {result.risky_called_low}")
    wrong = {name: ratio for name, ratio in result.risky_called_low_by_group.items() if ratio.hits}
    if wrong:
        print("  … by ecosystem: " + ", ".join(f"{name} {ratio}" for name, ratio in wrong.items()))
    print("\ngoals")
    met = result.meets_goals()
    for name, ratio in result.overall().items():
        print(f"  {name:<24}{ratio!s:<22}goal {GOALS[name]:<8}{'PASS' if met[name] else 'MISS'}")
    if args.misses:
        print("\ncases the rules get wrong")
        for verdict in verdicts:
            case = verdict.case
            if verdict.floor is not case.floor or verdict.kinds != case.kinds:
                got = ", ".join(f"{path}: {kind.value}" for path, kind in verdict.kinds.items())
                print(f"  {case.name}: labelled {case.floor.value}, rules say {verdict.floor.value} ({got})")
                print(f"    why: {case.miss or 'not pinned: a regression'}")


if __name__ == "__main__":
    main()
