"""How long the risk rules take on a 40,000-file diff, and whether their content scans stay linear.

Run from the repository root:

    .venv/bin/python bench/risk_rules.py                  # both parts, medians of 3 runs
    .venv/bin/python bench/risk_rules.py --part files --runs 5
    .venv/bin/python bench/risk_rules.py --part scan --bait ddl-words --sizes 160000

Part `files`: a generated diff of 40,000 files laid out like a large monorepo (code in 400 packages,
docs, tests, migrations of several frameworks, Terraform, Kubernetes, Helm, CI, Dockerfiles, lock
files, security-sensitive modules; one small hunk each, with context). It times, in-process after a
warm-up, as medians:

- prepare: strip, redact, scan and parse the diff (gate.risk.material.prepare_change): the work the
  rules start after, shown for scale;
- rules:   `gate.app.rule_floor` over every file: each file's lines cut from the diff, every kind
  rule by path and content, the policy rules, the default floors, the reasons (what this issue adds);
- paths:   `assess_rules` with paths only (no diff lines), the floor a collector without text gets;

and prints µs per file and the kinds the rules found.

Part `scan`: for each bait (a short unit that provokes one pattern family of the content rules without
completing it: DDL key words, a CORS origin key with no value, test-definition prefixes, a test
annotation, Kubernetes keys, template braces, comment markers and quotes for the lexer, version-like
numbers and checksums for the patch-bump check), the unit is repeated to 160 KB, 640 KB and 2.5 MB as
the added and removed lines of one file, and three stages are timed: `kinds` (classify_file with
content: every structural, security and test rule), `lexer` (gate.risk.cosmetic.normalise on both
sides, without its size cap) and `bump` (the patch-bump check). Linear scans keep ms/MB flat (the
last column, 2.5 MB over 160 KB, near 1; a quadratic scan shows about 16).

Figures only; pure Python, no services needed. Timings are never asserted (tests check results).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable

from gate.app import ChangeInput, rule_floor
from gate.models import RiskLevel
from gate.policy import RiskConfig, RiskRule
from gate.risk.cosmetic import Syntax, normalise, syntax_for
from gate.risk.kinds import Content, PathFacts, classify_file
from gate.risk.kinds.dependencies import patch_bump
from gate.risk.material import prepare_change
from gate.risk.rules import assess_rules

FILES = 40_000
SIZES = (160_000, 640_000, 2_560_000)
CONFIG = RiskConfig(
    rules=[
        RiskRule(paths=["services/*/handlers/**"], risk=RiskLevel.MEDIUM),
        RiskRule(paths=["tools/**"], risk=RiskLevel.LOW),
    ]
)

# (share of the files, path template, hunk body) — {n} is the file's number, {p} a package.
LAYOUT: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (
        520,
        "services/svc{p}/pkg/mod_{n}.py",
        ("-    value = compute(x)", "+    value = compute(x, timeout=30)"),
    ),
    (40, "services/svc{p}/handlers/h_{n}.go", ("-	return nil", "+	return err")),
    (150, "docs/area{p}/page_{n}.md", ("-Old sentence.", "+A better sentence.")),
    (110, "services/svc{p}/tests/test_{n}.py", ("+def test_{n}():", "+    assert f({n}) == {n}")),
    (15, "services/svc{p}/migrations/{n:04d}_auto.py", ("+        migrations.AddField('m', 'f{n}'),",)),
    (10, "db/migrate/2024{n:010d}_add_f{n}.rb", ("+    add_column :t, :f{n}, :string",)),
    (10, "src/main/resources/db/migration/V{n}__f{n}.sql", ("+ALTER TABLE t ADD COLUMN f{n} int;",)),
    (20, "infra/modules/m{p}/r_{n}.tf", ('-  size = "small"', '+  size = "large"')),
    (20, "deploy/k8s/app{p}/d_{n}.yaml", ("-  replicas: 2", "+  replicas: 3")),
    (15, "charts/c{p}/templates/t_{n}.yaml", ("-  image: {{ .Values.a }}", "+  image: {{ .Values.b }}")),
    (10, ".github/workflows/w_{n}.yml", ("-    runs-on: ubuntu-22.04", "+    runs-on: ubuntu-24.04")),
    (10, "services/svc{p}/Dockerfile.{n}", ("-FROM python:3.11", "+FROM python:3.12")),
    (
        30,
        "services/svc{p}/deps_{n}/package-lock.json",
        ('-      "version": "1.2.{n}",', '+      "version": "1.2.9{n}",'),
    ),
    (20, "services/svc{p}/auth/session_{n}.py", ("-TTL = 60", "+TTL = 120")),
    (20, "tools/gen/g_{n}.py", ("-# old", "+# new")),
)


def make_diff(files: int = FILES, seed: int = 11) -> str:
    rng = random.Random(seed)
    weights = [share for share, _, _ in LAYOUT]
    out: list[str] = []
    for n in range(files):
        _, template, body = rng.choices(LAYOUT, weights)[0]
        path = template.format(n=n, p=n % 400)
        lines = [line.format(n=n) for line in body]
        old = sum(1 for line in lines if not line.startswith("+")) + 2
        new = sum(1 for line in lines if not line.startswith("-")) + 2
        out += [
            f"diff --git a/{path} b/{path}",
            "index 1111111..2222222 100644",
            f"--- a/{path}",
            f"+++ b/{path}",
        ]
        out += [f"@@ -10,{old} +10,{new} @@", " def context():", *lines, " # end"]
    return "\n".join(out) + "\n"


def timed(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def files_part(runs: int) -> None:
    text = make_diff()
    material, parsed = prepare_change(text)
    assert parsed is not None and len(parsed.files) == FILES, parsed.problems[:3]
    change = ChangeInput(diff=parsed, material=material)
    indexes = range(len(parsed.files))
    result = rule_floor(CONFIG, indexes, change)  # warm-up
    prepare = timed(lambda: prepare_change(text), runs)
    rules = timed(lambda: rule_floor(CONFIG, indexes, change), runs)
    paths = timed(lambda: assess_rules(parsed.files, [], CONFIG), runs)
    print(
        f"{FILES} files, {len(text.splitlines())} diff lines, {len(text) / 1e6:.1f} MB; medians of {runs} runs\n"
    )
    print(f"{'stage':<10}{'total':>10}{'per file':>12}")
    for name, seconds in (("prepare", prepare), ("rules", rules), ("paths", paths)):
        print(f"{name:<10}{seconds * 1000:>8.0f}ms{seconds * 1e6 / FILES:>10.1f}µs")
    kinds = ", ".join(
        f"{kind.value} {count}" for kind, count in Counter(f.kind for f in result.file_risks).most_common()
    )
    print(f"\nfloor {result.floor.value}, {len(result.reasons)} reasons; kinds: {kinds}")


BAITS: dict[str, str] = {
    "ddl-words": "ALTER DROP CREATE UNIQUE RENAME ",
    "ddl-spaces": "ALTER" + " " * 60,
    "cors-origin": "origin=  ",
    "origin-list": "origins: [ ",
    "access-checks": "@login_required ",
    "test-defs": "def test",
    "test-spaces": "it" + " " * 40,
    "annotations": "@Test\n",
    "k8s-keys": "kind: X apiVersion: ",
    "template": "{{ .Values.",
    "comment-marks": "/* // # <!-- ",
    "quotes": "'\"`",
    "escapes": "\\\\\\'",
    "versions": "1.2.3-1.2.3-",
    "checksums": "sha512-AAAA h1:",
    "camel-words": "SessionStoreHTTPServer",
    "short-lines": "+x = 1  # note\n",
}


def _stage(
    stage: str, facts: PathFacts, lines: tuple[str, ...], content: Content, syntax: Syntax
) -> Callable[[], object]:
    if stage == "kinds":
        return lambda: classify_file(facts, Content(lines, lines, ()))
    if stage == "lexer":
        return lambda: normalise(list(lines), syntax)
    return lambda: patch_bump(content)


def scan_part(runs: int, sizes: list[int], names: list[str]) -> None:
    syntax = syntax_for("x.js")
    assert syntax is not None
    facts = PathFacts.of("src/blob.js")
    print(f"content scans, median of {runs} runs; ms and ms/MB per size (added + removed text)\n")
    head = "".join(f"{f'{size / 1e6:g} MB':>22}" for size in sizes)
    for stage in ("kinds", "lexer", "bump"):
        print(f"{stage}\n{'bait':<16}{head}  {'growth':>7}")
        for name in names:
            unit = BAITS[name]
            cells, per_mb = [], []
            for size in sizes:
                text = unit * max(1, size // len(unit))
                lines = tuple(text.split("\n"))
                content = Content(
                    lines, lines, (), hunks=(tuple(["-" + x for x in lines] + ["+" + x for x in lines]),)
                )
                seconds = timed(_stage(stage, facts, lines, content, syntax), runs)
                per_mb.append(seconds * 1000 / (2 * len(text) / 1e6))
                cells.append(f"{seconds * 1000:>9.1f} {per_mb[-1]:>7.1f}/MB")
            growth = per_mb[-1] / per_mb[0] if per_mb[0] else 0.0
            print(f"{name:<16}" + "".join(f"{cell:>22}" for cell in cells) + f"  {growth:>6.1f}x", flush=True)
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("files", "scan", "both"), default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="characters per side")
    parser.add_argument("--bait", action="append", choices=sorted(BAITS), help="only these baits")
    args = parser.parse_args()
    if args.part in ("files", "both"):
        files_part(args.runs)
        print()
    if args.part in ("scan", "both"):
        scan_part(args.runs, sorted(args.sizes), args.bait or list(BAITS))


if __name__ == "__main__":
    main()
